// Which of two versions of one sighting the index keeps (pure): a final one over a partial one, then the later.

export interface SightingVersion {
  /** true when the object's track ended; false for a periodic sighting of a long stay */
  final: boolean;
  /** ms, when the object was last seen */
  last: number;
}

/**
 * A long stay reaches the hub as partial sightings, then a final one, all with the same id; any of them may come
 * twice or late (outbox replays, reconnects). So a final sighting replaces a partial one and is never replaced by
 * one; between two of the same kind the one seen later (`last`) stays; a tie keeps what is stored, which makes a
 * repeat change nothing.
 */
export function supersedes(stored: SightingVersion | undefined, incoming: SightingVersion): boolean {
  if (!stored) return true;
  if (incoming.final !== stored.final) return incoming.final;
  return incoming.last > stored.last;
}
