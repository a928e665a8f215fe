/**
 * The token scope grammar (SMART v1 style, user-level only): `user/<ResourceType or *>.<read, write
 * or *>`. One definition for the scope gate on every write route (identity/write-scopes.ts) and the
 * store's reach (visibility.ts `reachFor`); it imports nothing, so both may use it.
 */

/** One scope: its resource type (or `*`) and its access (`read`, `write` or `*`). */
export const SCOPE = /^user\/([A-Za-z]+|\*)\.(read|write|\*)$/;

/** Whether scopes permit `access` to resources of `resourceType` (a delete is a write). */
export function scopeAllows(scopes: string[], resourceType: string, access: 'read' | 'write'): boolean {
  return scopes.some((scope) => {
    const match = SCOPE.exec(scope);
    if (!match) return false;
    const [, type, what] = match;
    return (type === '*' || type === resourceType) && (what === '*' || what === access);
  });
}
