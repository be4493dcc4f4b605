/** One `backend.claim` call: these handler types, at most `limit` jobs. */
export interface ClaimGroup {
  types: string[];
  limit: number;
}

/**
 * Splits the free slots into as few claim calls as the per-type limits allow. Every type whose own
 * remaining room is at least the free slots shares the first call (the usual case: one call for
 * everything); a type held to fewer (e.g. `concurrency: 1` on a GPU handler) is claimed in a call
 * whose limit keeps it within its room, so a batch claim never overshoots a per-type limit.
 *
 * @param freeSlots worker-wide slots left
 * @param roomByType per handler type: how many more of it may start (Infinity when unlimited)
 * @returns groups, largest limit first; empty when nothing may start
 */
export function planClaims(freeSlots: number, roomByType: ReadonlyMap<string, number>): ClaimGroup[] {
  if (freeSlots <= 0) return [];
  const byLimit = new Map<number, string[]>();
  for (const [type, room] of roomByType) {
    const limit = Math.min(freeSlots, room);
    if (limit <= 0) continue;
    const types = byLimit.get(limit);
    if (types) types.push(type);
    else byLimit.set(limit, [type]);
  }
  return [...byLimit].sort(([a], [b]) => b - a).map(([limit, types]) => ({ types, limit }));
}
