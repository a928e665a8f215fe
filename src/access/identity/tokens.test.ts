import { beforeAll, describe, expect, it } from 'vitest';
import { loadFhirDefinitions } from '../../fhir/definitions.js';
import { scopeAllows } from '../policy/scopes.js';
import { parseScopes } from './tokens.js';

describe('token scopes', () => {
  beforeAll(() => loadFhirDefinitions());

  it('defaults to user/*.* and accepts SMART-style scopes, space-separated or as a list', () => {
    expect(parseScopes(undefined)).toEqual(['user/*.*']);
    expect(parseScopes('  ')).toEqual(['user/*.*']);
    expect(parseScopes('user/*.read user/Observation.write user/*.read')).toEqual([
      'user/*.read',
      'user/Observation.write',
    ]);
    expect(parseScopes(['user/Patient.*', 'user/Task.read'])).toEqual(['user/Patient.*', 'user/Task.read']);
  });

  it('rejects bad syntax and unknown resource types, naming the field and the scope', () => {
    expect(() => parseScopes('patient/*.read')).toThrow('scopes: "patient/*.read" is not a scope');
    expect(() => parseScopes('user/*.delete')).toThrow('is not a scope');
    expect(() => parseScopes('user/Observations.read', 'scope')).toThrow(
      'scope: "user/Observations.read" names Observations, which is not a FHIR R4 resource type',
    );
  });

  it('allows by type and access, wildcards included', () => {
    expect(scopeAllows(['user/*.read'], 'Patient', 'read')).toBe(true);
    expect(scopeAllows(['user/*.read'], 'Patient', 'write')).toBe(false);
    expect(scopeAllows(['user/Observation.*'], 'Observation', 'write')).toBe(true);
    expect(scopeAllows(['user/Observation.*'], 'Condition', 'read')).toBe(false);
    expect(scopeAllows(['user/*.*'], 'Task', 'write')).toBe(true);
  });
});
