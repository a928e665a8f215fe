/** The labels a derived record takes from its sources, and when one record's labels cover another's. */
import type { Observation, Task } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { coversSensitivity, sensitivityOf, withLabelsOf } from './access-facts.js';

const ACT = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const CONF = 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality';
const source = (...security: { system?: string; code: string }[]): Observation => ({
  resourceType: 'Observation',
  status: 'final',
  code: { text: 'x' },
  meta: { security },
});
const task: Task = { resourceType: 'Task', status: 'requested', intent: 'order' };

describe('labels of derived records', () => {
  it('takes every sensitivity label of every source once: HIV on one and PSY on another makes both', () => {
    const derived = withLabelsOf(task, [
      source({ system: ACT, code: 'HIV' }),
      source({ system: ACT, code: 'PSY' }, { system: ACT, code: 'HIV' }),
      undefined,
    ]);
    expect(derived.meta?.security?.map((l) => l.code)).toEqual(['HIV', 'PSY']);
    expect(sensitivityOf(derived)).toBe(' behavioral-health hiv-sti ');
  });

  it('keeps its own labels, takes no label that is not a sensitivity label, and adds no meta when none', () => {
    const own = { ...task, meta: { security: [{ system: 'http://example.org/x', code: 'internal' }] } };
    const derived = withLabelsOf(own, [
      source({ system: CONF, code: 'R' }),
      source({ system: 'http://example.org/other', code: 'HIV' }),
    ]);
    expect(derived.meta?.security).toEqual([
      { system: 'http://example.org/x', code: 'internal' },
      { system: CONF, code: 'R' },
    ]);
    expect(withLabelsOf(task, [source({ system: CONF, code: 'N' })])).toBe(task);
  });

  it('covers a sensitivity only with every one of its categories', () => {
    expect(coversSensitivity(null, null)).toBe(true);
    expect(coversSensitivity(' hiv-sti ', null)).toBe(true);
    expect(coversSensitivity(null, ' hiv-sti ')).toBe(false);
    expect(coversSensitivity(' behavioral-health hiv-sti ', ' hiv-sti ')).toBe(true);
    expect(coversSensitivity(' hiv-sti ', ' behavioral-health hiv-sti ')).toBe(false);
  });
});
