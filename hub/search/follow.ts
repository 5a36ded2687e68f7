// "Follow": where a vehicle went next (or came from), as a search (pure): the same label and colour on the other
// cameras within R metres, in the minutes after it left this one (oldest first) or before it came (newest first).
import type { Colour, Label } from '../../shared/contract/index.js';
import type { Order } from './plan.js';
import type { SearchRequest } from './search.js';

export const MAX_FOLLOW_MINUTES = 30;
export const MAX_FOLLOW_RADIUS_M = 5000;

export interface Followed {
  ward: string;
  camera: string;
  label: string;
  colour: string | null;
  first: number;
  last: number;
}

export type FollowPlan = { ok: true; request: SearchRequest; order: Order } | { ok: false; field: string; message: string };

export function followRequest(s: Followed, o: { direction: 'after' | 'before'; minutes: number; radius: number }): FollowPlan {
  // a person has no colour: following one would be following a person by where they walk
  if (s.label === 'person') return { ok: false, field: 'id', message: 'people are not followed from camera to camera: follow is for vehicles' };
  const span = o.minutes * 60_000;
  const window = o.direction === 'after' ? { from: s.last, to: s.last + span } : { from: s.first - span, to: s.first };
  const request: SearchRequest = {
    ...window,
    near: { camera: { ward: s.ward, camera: s.camera }, radius: o.radius },
    // the other cameras: on its own camera it is the same passage
    except: { ward: s.ward, camera: s.camera },
    labels: [s.label as Label],
    ...(s.colour !== null ? { colours: [s.colour as Colour] } : {}),
  };
  return { ok: true, request, order: o.direction === 'after' ? 'asc' : 'desc' };
}
