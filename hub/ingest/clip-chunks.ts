// Bookkeeping of a clip's chunks (pure): which chunk sits where, how long it must be, which have arrived.

export interface ChunkLayout {
  bytes: number;
  chunkBytes: number;
  chunks: number;
}

/** Offset and exact length of chunk `n`, or why it cannot be one of this clip's chunks. */
export function chunkSlot(layout: ChunkLayout, n: number): { offset: number; length: number } | { error: string } {
  if (!Number.isInteger(n) || n < 0 || n >= layout.chunks) return { error: `chunk ${n} outside 0…${layout.chunks - 1}` };
  const offset = n * layout.chunkBytes;
  return { offset, length: Math.min(layout.chunkBytes, layout.bytes - offset) };
}

export function emptyBitmap(chunks: number): Buffer {
  return Buffer.alloc(Math.ceil(chunks / 8));
}

export function hasChunk(bitmap: Uint8Array, n: number): boolean {
  return ((bitmap[n >> 3] ?? 0) & (1 << (n & 7))) !== 0;
}

/** The bitmap with chunk `n` marked (a copy: the db row is the truth until the batch commits). */
export function withChunk(bitmap: Uint8Array, n: number): Buffer {
  const next = Buffer.from(bitmap);
  next[n >> 3] = (next[n >> 3] ?? 0) | (1 << (n & 7));
  return next;
}
