// Merges the pages of several index walks into one page in time order (pure): the search's union of streams.
import type { Order } from './plan.js';

export interface Keyed {
  /** the time the order is on (first seen, or the crossing) */
  time: number;
  id: string;
}

/**
 * The first `limit` items of the union, newest first (desc) or oldest first (asc), ties by id the same way, and
 * whether more exist. Each input is in that order already and holds at most limit + 1 items past the cursor, so an
 * item of the union's first `limit` cannot be missing from them.
 */
export function mergePages<T extends Keyed>(pages: readonly (readonly T[])[], limit: number, order: Order): { items: T[]; more: boolean } {
  const sign = order === 'desc' ? -1 : 1;
  const all = pages.flat();
  all.sort((a, b) => sign * (a.time - b.time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
  return { items: all.slice(0, limit), more: all.length > limit };
}
