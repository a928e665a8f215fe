/**
 * FHIR errors. Every failure on a FHIR path becomes an OperationOutcome with the HTTP status the
 * spec gives (R4 http.html): 400 invalid, 404 unknown, 409 conflict, 410 deleted, 412 precondition,
 * 422 business rule. `expression` names the offending path so a client can point at the field.
 */
import type { OperationOutcome, OperationOutcomeIssue } from 'fhir/r4.js';

export type IssueCode = OperationOutcomeIssue['code'];

export interface FhirIssue {
  code: IssueCode;
  diagnostics: string;
  expression?: string;
  severity?: OperationOutcomeIssue['severity'];
}

/** An error that answers with an OperationOutcome and `status`. */
export class FhirError extends Error {
  constructor(
    readonly status: number,
    readonly issues: FhirIssue[],
  ) {
    super(issues.map((i) => (i.expression ? `${i.expression}: ${i.diagnostics}` : i.diagnostics)).join('; '));
  }

  /** The error as an OperationOutcome resource. */
  toOutcome(): OperationOutcome {
    return operationOutcome(this.issues);
  }
}

/** Builds an OperationOutcome from issues. */
export function operationOutcome(issues: FhirIssue[]): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: issues.map((i) => ({
      severity: i.severity ?? 'error',
      code: i.code,
      diagnostics: i.diagnostics,
      ...(i.expression ? { expression: [i.expression] } : {}),
    })),
  };
}

/** 400: the request could not be understood or failed basic FHIR validation. */
export const badRequest = (diagnostics: string, expression?: string, code: IssueCode = 'invalid') =>
  new FhirError(400, [{ code, diagnostics, expression }]);
/** 404: no such resource (or not visible to the caller). */
export const notFound = (diagnostics: string) => new FhirError(404, [{ code: 'not-found', diagnostics }]);
/** 410: the resource existed and was deleted. */
export const gone = (diagnostics: string) => new FhirError(410, [{ code: 'deleted', diagnostics }]);
/** 409: conflicts with the current state. */
export const conflict = (diagnostics: string) => new FhirError(409, [{ code: 'conflict', diagnostics }]);
/** 412: a precondition (If-Match, conditional create/update) failed. */
export const preconditionFailed = (diagnostics: string, expression?: string) =>
  new FhirError(412, [{ code: 'conflict', diagnostics, expression }]);
/** 422: valid FHIR that breaks a business rule. */
export const unprocessable = (diagnostics: string, expression?: string) =>
  new FhirError(422, [{ code: 'processing', diagnostics, expression }]);
/** 501/400: a search feature or interaction we do not support. */
export const notSupported = (diagnostics: string, expression?: string) =>
  new FhirError(400, [{ code: 'not-supported', diagnostics, expression }]);
