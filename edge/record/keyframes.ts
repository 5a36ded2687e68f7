// Where a recorded segment's keyframes are, read off its boxes: the recorder writes a fragment per keyframe
// (`frag_keyframe`), so each moof's decode time is one. Only box headers and the small moov/moof boxes are read.
import { open } from 'node:fs/promises';
import { firstTrackTiming, fragmentDecodeTime } from '../../shared/mp4-boxes.js';

/** Small boxes only: a moov or moof larger than this is not one of ours. */
const MAX_HEADER_BOX = 1024 * 1024;

/** Seconds from the file's start of each fragment (each keyframe), in order; [] when the file has none readable. */
export async function keyframeSeconds(file: string): Promise<number[]> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const header = Buffer.alloc(16);
    let timing: { trackId: number; timescale: number } | undefined;
    const out: number[] = [];
    for (let at = 0; at + 8 <= size; ) {
      await handle.read(header, 0, 16, at);
      let boxSize = header.readUInt32BE(0);
      const type = header.toString('latin1', 4, 8);
      if (boxSize === 1) boxSize = Number(header.readBigUInt64BE(8));
      if (boxSize === 0) boxSize = size - at; // to the end of the file
      if (boxSize < 8) break;
      if ((type === 'moov' || type === 'moof') && boxSize <= MAX_HEADER_BOX) {
        const box = Buffer.alloc(boxSize);
        await handle.read(box, 0, boxSize, at);
        if (type === 'moov') timing = firstTrackTiming(box);
        else if (timing) {
          const t = fragmentDecodeTime(box, timing.trackId);
          if (t !== undefined) out.push(t / timing.timescale);
        }
      }
      at += boxSize;
    }
    return out;
  } finally {
    await handle.close();
  }
}

/** The latest keyframe at or before `seconds` (0 when none is known: segments begin with one). */
export function keyframeAtOrBefore(keyframes: readonly number[], seconds: number): number {
  let best = 0;
  for (const k of keyframes) if (k <= seconds + 1e-6 && k > best) best = k;
  return best;
}
