/**
 * A patch that is malformed or cannot be applied; `expression` names the offending part or path.
 * `malformed` patches (not a list of operations, a bad path, a name no element has) answer 400; a
 * well-formed patch that does not fit the resource (a path with no content, a failed test) answers 422.
 */
export class PatchError extends Error {
  constructor(
    message: string,
    public readonly expression?: string,
    public readonly malformed = false,
  ) {
    super(message);
    this.name = 'PatchError';
  }
}

/** Names that reach an object's prototype in JavaScript; no FHIR element has them. */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Refuses a property name a patch would navigate or write when it reaches an object's prototype:
 * looked up as an element it found Object.prototype and failed with a 500, and written it would
 * change every object in the server.
 */
export function refusePrototypeKey(name: string, expression: string): void {
  if (PROTOTYPE_KEYS.has(name))
    throw new PatchError(`'${name}' is not a FHIR element, and patches may not name it`, expression, true);
}
