/**
 * The two patch formats of the FHIR `PATCH` interaction: RFC 6902 JSON Patch and FHIR Patch (Parameters).
 */
export { applyFhirPatch } from './fhir-patch.js';
export { applyJsonPatch } from './json-patch.js';
export { PatchError } from './patch-error.js';
