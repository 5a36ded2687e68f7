// Whether the ward box takes a cmd/retrieve (pure): a camera of this box, a range it can send, something recorded.
import { MAX_CLIP_BYTES, type RetrieveCommand } from '../../shared/contract/index.js';
import { clipPlan, type ClipPlan } from '../events/clip.js';

/** The longest range a box cuts in one clip, whatever the hub allows. */
export const MAX_RETRIEVE_MS = 24 * 60 * 60_000;

export interface RecordedSegment {
  path: string;
  startMs: number;
  endMs: number;
  bytes: number;
}

export type RetrievalDecision = { ok: true; plan: ClipPlan } | { ok: false; reason: string };

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

export function decideRetrieval(
  cmd: Pick<RetrieveCommand, 'camera' | 'from' | 'to'>,
  ctx: { ward: string; cameras: readonly string[]; segments: readonly RecordedSegment[]; maxRetrieveMs?: number; maxClipBytes?: number },
): RetrievalDecision {
  if (!ctx.cameras.includes(cmd.camera)) return { ok: false, reason: `unknown camera: ward ${ctx.ward} has no camera "${cmd.camera}" (cameras: ${ctx.cameras.join(', ') || 'none'})` };
  const maxMs = ctx.maxRetrieveMs ?? MAX_RETRIEVE_MS;
  if (cmd.to - cmd.from > maxMs) return { ok: false, reason: `range too long: ${Math.ceil((cmd.to - cmd.from) / 60_000)} minutes, at most ${Math.floor(maxMs / 60_000)} minutes per request` };
  const plan = clipPlan(ctx.segments, cmd.from, cmd.to);
  if (!plan) return { ok: false, reason: `no recording of camera ${cmd.camera} between ${iso(cmd.from)} and ${iso(cmd.to)}` };
  // whole segments overlap the range: their sum is a little more than the clip, a fair bound before cutting
  const bytes = ctx.segments.filter((s) => s.endMs > cmd.from && s.startMs < cmd.to).reduce((n, s) => n + s.bytes, 0);
  const maxBytes = ctx.maxClipBytes ?? MAX_CLIP_BYTES;
  if (bytes > maxBytes) return { ok: false, reason: `range too long: about ${Math.round(bytes / 1e6)} MB of recording, more than one clip may carry (${Math.round(maxBytes / 1e6)} MB): ask for a shorter range` };
  return { ok: true, plan };
}
