/** A patch that is malformed or cannot be applied; `expression` names the offending part or path. */
export class PatchError extends Error {
  constructor(
    message: string,
    public readonly expression?: string,
  ) {
    super(message);
    this.name = 'PatchError';
  }
}
