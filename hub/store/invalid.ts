// Kinds of refused messages: a short, bounded key for counters, from the free-text reason (pure). Here, under
// the index, because ingest and the retrievals table (hub/retrieval/store.ts) both refuse with it.

export type InvalidKind =
  | 'malformed-json'
  | 'schema'
  | 'topic'
  | 'id-mismatch'
  | 'ward-mismatch'
  | 'unknown-box'
  | 'camera-of-another-box'
  | 'camera-name'
  | 'foreign-event'
  | 'foreign-sighting'
  | 'not-jpeg'
  | 'unknown-request'
  | 'chunk-without-manifest'
  | 'chunk-out-of-range'
  | 'chunk-length';

/** Maps a reason from `decodeMessage` to its kind; ingest's own reasons carry their kind explicitly. */
export function decodeFailureKind(reason: string): InvalidKind {
  if (reason.startsWith('malformed JSON')) return 'malformed-json';
  if (reason.startsWith('invalid ')) return 'schema';
  if (reason.startsWith('not a contract topic') || reason.startsWith('commands ')) return 'topic';
  return 'id-mismatch';
}

export class Invalid extends Error {
  constructor(
    readonly kind: InvalidKind,
    reason: string,
  ) {
    super(reason);
  }
}
