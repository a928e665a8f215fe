/** Walking a set of `Type/id` keys as the resources table is best queried: by type, in bounded chunks. */

/** Ids per query: far below SQLite's bound-variable limit, and a plan PostgreSQL handles well. */
const CHUNK = 500;

/**
 * Calls `visit(type, ids)` for the distinct ids of each type, sorted (a stable lock order for
 * `select ... for update`), at most 500 at a time.
 */
export async function forEachTypeChunk(
  keys: Iterable<{ type: string; id: string }>,
  visit: (type: string, ids: string[]) => Promise<void>,
): Promise<void> {
  const byType = new Map<string, Set<string>>();
  for (const { type, id } of keys) {
    const ids = byType.get(type) ?? new Set<string>();
    byType.set(type, ids);
    ids.add(id);
  }
  for (const [type, idSet] of byType) {
    const ids = [...idSet].sort();
    for (let i = 0; i < ids.length; i += CHUNK) await visit(type, ids.slice(i, i + CHUNK));
  }
}
