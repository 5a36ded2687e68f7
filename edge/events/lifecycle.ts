// Event lifecycle of one camera: confirmed tracks → start / update / end decisions. Pure: no clock, no I/O.
import type { Label } from '../../shared/contract/index.js';
import { groundPoint, insidePolygon, iou, normaliseBox, type NormBox, type Polygon } from '../geometry.js';
import type { Track } from '../detect/tracker.js';

export type { NormBox };
export { groundPoint, normaliseBox };

export interface Zone {
  id: string;
  polygon: Polygon;
}

export interface EventRules {
  labels: readonly Label[];
  minScore: number;
  minFrames: number;
  /** when set, an object makes an event only once its ground point is inside one */
  zones: readonly Zone[];
  endAfterMs: number;
  /** updates of one event are at least this far apart (the hub needs the change, not every frame) */
  updateEveryMs: number;
  /** size of the detect frames the tracks are measured in */
  frameWidth: number;
  frameHeight: number;
  /**
   * A new track of the same label whose box centre is this close (normalised distance) to an open event
   * whose track was not seen in this frame takes that event over: a tracker that loses an object (its box
   * cut by the picture's edge, a frame it was missed) must not turn one crossing into two events.
   */
  rejoinDistance?: number;
}

export interface EventState {
  id: string;
  camera: string;
  label: Label;
  /** score in the latest frame it was seen */
  score: number;
  topScore: number;
  /** box at the best moment (normalised) */
  box: NormBox;
  /** time of the frame with the top score: where the snapshot is taken */
  bestAtMs: number;
  zones: string[];
  start: number;
  /** last frame the object was seen in */
  lastSeenMs: number;
  end: number | null;
}

export type EventChange = { type: 'start' | 'update' | 'end'; event: EventState };

interface Open {
  event: EventState;
  /** the tracks that are this object (one, or more when the detector flips between look-alike labels) */
  trackIds: Set<number>;
  /** where the object was last seen (normalised), for a lost track to rejoin */
  lastBox: NormBox;
  lastSentMs: number;
  /** what the last message said, to tell whether an update has news */
  sentTopScore: number;
  sentZones: number;
  dirty: boolean;
}

/**
 * Labels the detector confuses on one object from frame to frame (COCO's pick-up is a car, then a truck). A track
 * of a look-alike label on the box of an open event is that event, not a second one.
 */
const LOOK_ALIKES: readonly (readonly Label[])[] = [['car', 'truck', 'bus'], ['bicycle', 'motorcycle']];
const lookAlike = (a: Label, b: Label) => a !== b && LOOK_ALIKES.some((g) => g.includes(a) && g.includes(b));
/** "on the box": overlap with the event's latest box */
const LOOK_ALIKE_IOU = 0.5;
/** …seen this recently (the detector may give one label in one frame and the other in the next) */
const LOOK_ALIKE_WITHIN_MS = 1000;

/** Top-score rises smaller than this are not news on their own. */
const SCORE_STEP = 0.02;


const round4 = (v: number) => Math.round(v * 10_000) / 10_000;



export function zonesAt(zones: readonly Zone[], point: readonly [number, number]): string[] {
  return zones.filter((z) => insidePolygon(z.polygon, point[0], point[1])).map((z) => z.id);
}

export class EventLifecycle {
  private readonly open = new Map<number, Open>();
  private readonly labels: ReadonlySet<string>;

  constructor(
    private readonly camera: string,
    private readonly rules: EventRules,
    private readonly newId: (nowMs: number) => string,
  ) {
    this.labels = new Set(rules.labels);
  }

  /** Events open now (for status and shutdown). */
  openEvents(): EventState[] {
    return [...new Set(this.open.values())].map((o) => ({ ...o.event, zones: [...o.event.zones] }));
  }

  /** The tracker's output after a detected frame at `nowMs`. */
  observe(tracks: readonly Track[], nowMs: number): EventChange[] {
    const changes: EventChange[] = [];
    const { frameWidth: fw, frameHeight: fh } = this.rules;
    // seen in this frame: a coasting track (missed now) may already be a lost one, re-found under a new id
    const live = new Set(tracks.filter((t) => t.misses === 0).map((t) => t.id));
    for (const track of tracks) {
      if (track.misses > 0) continue;
      let o = this.open.get(track.id);
      const here = zonesAt(this.rules.zones, groundPoint(track.box, fw, fh));
      if (o === undefined) o = this.lookAlikeOf(track, nowMs);
      if (o === undefined) {
        if (!this.qualifies(track, here)) continue;
        o = this.rejoin(track, live) ?? this.begin(track, nowMs, changes);
      }
      const ev = o.event;
      ev.score = round4(track.score);
      ev.lastSeenMs = nowMs;
      o.lastBox = normaliseBox(track.box, fw, fh);
      if (track.score > ev.topScore) {
        ev.topScore = round4(track.score);
        ev.box = normaliseBox(track.box, fw, fh);
        ev.bestAtMs = nowMs;
      }
      for (const z of here) if (!ev.zones.includes(z)) ev.zones.push(z);
      if (ev.topScore >= o.sentTopScore + SCORE_STEP || ev.zones.length !== o.sentZones) o.dirty = true;
      if (o.dirty && nowMs - o.lastSentMs >= this.rules.updateEveryMs) changes.push(this.sent(o, 'update', nowMs));
    }
    changes.push(...this.tick(nowMs));
    return changes;
  }

  /** Ends events whose object has been gone endAfterMs; call on every frame, detected or not. */
  tick(nowMs: number): EventChange[] {
    const changes: EventChange[] = [];
    for (const o of new Set(this.open.values())) {
      if (nowMs - o.event.lastSeenMs < this.rules.endAfterMs) continue;
      for (const id of o.trackIds) this.open.delete(id);
      o.event.end = o.event.lastSeenMs;
      changes.push({ type: 'end', event: { ...o.event, zones: [...o.event.zones] } });
    }
    return changes;
  }

  /** Ends every open event now (the camera or the box stops). */
  endAll(): EventChange[] {
    const changes = [...new Set(this.open.values())].map((o): EventChange => ({ type: 'end', event: { ...o.event, zones: [...o.event.zones], end: o.event.lastSeenMs } }));
    this.open.clear();
    return changes;
  }

  private qualifies(track: Track, here: string[]): boolean {
    return (
      track.confirmed &&
      this.labels.has(track.label) &&
      track.hits >= this.rules.minFrames &&
      track.score >= this.rules.minScore &&
      (this.rules.zones.length === 0 || here.length > 0)
    );
  }

  private begin(track: Track, nowMs: number, changes: EventChange[]): Open {
    const { frameWidth: fw, frameHeight: fh } = this.rules;
    const event: EventState = {
      id: this.newId(nowMs),
      camera: this.camera,
      label: track.label,
      score: round4(track.score),
      topScore: round4(track.score),
      box: normaliseBox(track.box, fw, fh),
      bestAtMs: nowMs,
      zones: [],
      start: Math.min(track.firstSeenMs, nowMs),
      lastSeenMs: nowMs,
      end: null,
    };
    for (const z of zonesAt(this.rules.zones, groundPoint(track.box, fw, fh))) event.zones.push(z);
    const o: Open = { event, trackIds: new Set([track.id]), lastBox: event.box, lastSentMs: nowMs, sentTopScore: event.topScore, sentZones: event.zones.length, dirty: false };
    this.open.set(track.id, o);
    changes.push({ type: 'start', event: { ...event, zones: [...event.zones] } });
    return o;
  }

  /** An open event of this label whose tracks were not seen in this frame, near enough to be the same object. */
  private rejoin(track: Track, live: ReadonlySet<number>): Open | undefined {
    const { frameWidth: fw, frameHeight: fh } = this.rules;
    const limit = this.rules.rejoinDistance ?? 0.2;
    const b = normaliseBox(track.box, fw, fh);
    let best: { o: Open; d: number } | undefined;
    for (const o of new Set(this.open.values())) {
      if ([...o.trackIds].some((id) => live.has(id)) || o.event.label !== track.label) continue;
      const last = o.lastBox;
      const d = Math.hypot(last.x + last.w / 2 - (b.x + b.w / 2), last.y + last.h / 2 - (b.y + b.h / 2));
      if (d <= limit && (best === undefined || d < best.d)) best = { o, d };
    }
    if (best === undefined) return undefined;
    // the old ids stay too: a coasting track that is matched again is still this event
    best.o.trackIds.add(track.id);
    this.open.set(track.id, best.o);
    return best.o;
  }

  /** An open event seen a moment ago on the same spot under a look-alike label. */
  private lookAlikeOf(track: Track, nowMs: number): Open | undefined {
    const b = normaliseBox(track.box, this.rules.frameWidth, this.rules.frameHeight);
    for (const o of new Set(this.open.values())) {
      if (nowMs - o.event.lastSeenMs > LOOK_ALIKE_WITHIN_MS || !lookAlike(o.event.label, track.label) || iou(o.lastBox, b) < LOOK_ALIKE_IOU) continue;
      o.trackIds.add(track.id);
      this.open.set(track.id, o);
      return o;
    }
    return undefined;
  }

  private sent(o: Open, type: 'update', nowMs: number): EventChange {
    o.lastSentMs = nowMs;
    o.sentTopScore = o.event.topScore;
    o.sentZones = o.event.zones.length;
    o.dirty = false;
    return { type, event: { ...o.event, zones: [...o.event.zones] } };
  }
}
