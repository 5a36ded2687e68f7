// Whether the ward box takes a cmd/live (pure): a camera of this box, within the box's bound of hub relays.
import type { LiveCommand } from '../../shared/contract/index.js';

/** Relays to the hub at once, whatever the hub allows: each is a camera stream on the box's uplink. */
export const MAX_HUB_RELAYS = 4;

export interface LiveCamera {
  id: string;
  mainUrl: string;
  subUrl: string;
  /** tests: the URLs are files read looped */
  loopFile?: boolean;
}

export type LiveDecision = { ok: true; camera: LiveCamera } | { ok: false; reason: string };

export function decideLive(cmd: Pick<LiveCommand, 'camera' | 'relayId'>, ctx: { ward: string; cameras: readonly LiveCamera[]; open: readonly string[]; maxRelays?: number }): LiveDecision {
  const camera = ctx.cameras.find((c) => c.id === cmd.camera);
  if (!camera) return { ok: false, reason: `unknown camera: ward ${ctx.ward} has no camera "${cmd.camera}" (cameras: ${ctx.cameras.map((c) => c.id).join(', ') || 'none'})` };
  const max = ctx.maxRelays ?? MAX_HUB_RELAYS;
  if (ctx.open.length >= max) return { ok: false, reason: `the ward box already sends ${ctx.open.length} live views to the hub (at most ${max})` };
  return { ok: true, camera };
}
