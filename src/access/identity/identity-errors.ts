/**
 * The errors identity answers with. They are FhirErrors so that the one global error handler turns
 * them into `{ error: { code, message } }` outside /fhir and into an OperationOutcome on /fhir.
 */
import { FhirError, type IssueCode } from '../../fhir/outcome.js';

/** 401: no credentials, or credentials that do not hold. */
export const unauthorized = (message: string, code: IssueCode = 'login') =>
  new FhirError(401, [{ code, diagnostics: message }]);

/** 403: signed in, but not allowed. */
export const forbidden = (message: string) =>
  new FhirError(403, [{ code: 'forbidden', diagnostics: message }]);

/** The one answer for a wrong password, an unknown email and a disabled account: no user enumeration. */
export const SIGN_IN_FAILED = 'Email or password is incorrect.';
