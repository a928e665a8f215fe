/** One problem found in a resource, shaped to become an OperationOutcome.issue. */
export interface ValidationIssue {
  severity: 'error' | 'warning';
  code: 'structure' | 'required' | 'value' | 'code-invalid' | 'invariant' | 'invalid';
  /** FHIRPath-like location with indices, e.g. 'Observation.component[1].code.coding[0].code'. */
  expression: string;
  /** What is wrong and why, in words a client developer can act on. */
  diagnostics: string;
}

/** Builds an error-severity issue. */
export function errorIssue(
  code: ValidationIssue['code'],
  expression: string,
  diagnostics: string,
): ValidationIssue {
  return { severity: 'error', code, expression, diagnostics };
}
