// What passed one camera: each confirmed track's path as line crossings, zone dwell and one sighting. Pure: no clock, no I/O.
import type { Label, Sighting } from '../../shared/contract/index.js';
import type { Track, TrackerUpdate } from '../detect/track.js';
import { crossing, groundPoint, normaliseBox, sideOf, zonesAt, type Box, type Point, type Polygon } from '../geometry.js';


export type Direction = 'forward' | 'backward';

/** One confirmed track crossing one counting line: counted (counts.ts), checked by rules (alert-rules.ts), kept on its sighting. */
export interface Crossing {
  trackId: number;
  camera: string;
  label: Label;
  line: string;
  direction: Direction;
  /** the first frame the ground point was on the far side */
  at: number;
}

/** A sighting as the service gets it: it adds the colour and thumbnail from the pixels at `bestBoxPx`. */
export type SightingDraft = Omit<Sighting, 'colour' | 'thumbnail'> & { trackId: number; bestBoxPx: Box };

export interface SightingBookOptions {
  camera: string;
  /** size of the detect frames the tracks are measured in */
  width: number;
  height: number;
  zones: readonly { id: string; polygon: Polygon }[];
  lines: readonly { id: string; points: readonly [Point, Point] }[];
  /** a track alive this long is also sent as a partial sighting, and again every as long */
  longStayMs: number;
  newId: (nowMs: number) => string;
  /**
   * How far (normalised, perpendicular to the line) the ground point must be past a line before the crossing
   * counts, default 0.015 (≈ 5 px of a 360-line frame): a box wobbling on the line counts once, not every frame.
   */
  lineMargin?: number;
  /**
   * A crossing counts once the track has stayed past the line this long (its next samples), default 600 ms (3 frames
   * at 5 fps); back over the line before that, neither counts. In dense traffic a car's box jumps when a neighbour
   * hides part of it: on the dense street scene, boxes jittering across the line counted a car forward, backward
   * and forward again within a second. A track that ends before then counts (it left on that side).
   */
  settleMs?: number;
}

/** The contract's maxima for one sighting. */
const MAX_LINES = 64;
const MAX_ZONES = 32;
const MAX_RIDERS = 10;

const round1 = (v: number) => Math.round(v * 10) / 10;
const round4 = (v: number) => Math.round(v * 10_000) / 10_000;

/** Which side of one line a track is on. */
interface LineSide {
  /** the side it was last clearly on (sign of sideOf), 0 before it has one */
  side: number;
  /** its latest ground point on that side: where the crossing step starts */
  anchor: Point;
  /** when it first left that side in the current excursion */
  leftAt: number | undefined;
}

interface Followed {
  track: Track;
  /** sighting id, from the frame the track is confirmed */
  id: string | undefined;
  first: Point | undefined;
  last: Point | undefined;
  lastAt: number;
  /** zones the ground point was in at the latest sample */
  inside: ReadonlySet<string>;
  sides: Map<string, LineSide>;
  lines: { line: string; direction: Direction; at: number }[];
  /** crossings made before the track was confirmed: counted when it is */
  pending: Crossing[];
  /** per line, a crossing not yet settled (settleMs) and the sample time it was seen at */
  unsettled: Map<string, { crossing: Crossing; seenAt: number }>;
  /** ms in each zone, in the order it entered them */
  dwell: Map<string, number>;
  nextPartialAt: number;
}

/** One per camera. */
export class SightingBook {
  private readonly followed = new Map<number, Followed>();
  private readonly camera: string;
  private readonly width: number;
  private readonly height: number;
  private readonly zones: readonly { id: string; polygon: Polygon }[];
  private readonly lines: readonly { id: string; points: readonly [Point, Point]; length: number }[];
  private readonly longStayMs: number;
  private readonly newId: (nowMs: number) => string;
  private readonly lineMargin: number;
  private readonly settleMs: number;

  constructor({ camera, width, height, zones, lines, longStayMs, newId, lineMargin = 0.015, settleMs = 600 }: SightingBookOptions) {
    this.camera = camera;
    this.width = width;
    this.height = height;
    this.zones = zones.slice(0, MAX_ZONES);
    this.lines = lines.map((l) => ({ ...l, length: Math.hypot(l.points[1][0] - l.points[0][0], l.points[1][1] - l.points[0][1]) }));
    this.longStayMs = longStayMs;
    this.newId = newId;
    this.lineMargin = lineMargin;
    this.settleMs = settleMs;
  }

  /** The tracker's output after a detected frame at `nowMs`. */
  observe(update: TrackerUpdate, nowMs: number): { crossings: Crossing[]; sightings: SightingDraft[] } {
    const crossings: Crossing[] = [];
    const sightings: SightingDraft[] = [];
    const live = new Set<number>();
    for (const track of update.tracks) {
      live.add(track.id);
      let f = this.followed.get(track.id);
      if (f === undefined) {
        f = this.follow(track);
        this.followed.set(track.id, f);
      }
      f.track = track;
      // a coasting track's box is the tracker's guess: it moves no line and stays in no zone
      const found = track.misses === 0 ? this.sample(f, track, nowMs) : [];
      if (!track.confirmed) {
        f.pending.push(...found.slice(0, MAX_LINES - f.pending.length));
        continue;
      }
      f.id ??= this.newId(nowMs);
      // crossings made while unconfirmed are counted now, once, with their own times
      for (const c of f.pending) crossings.push({ ...c, label: track.label });
      f.pending = [];
      crossings.push(...found);
      if (nowMs >= f.nextPartialAt) {
        sightings.push(this.draft(f, false));
        while (f.nextPartialAt <= nowMs) f.nextPartialAt += this.longStayMs;
      }
    }
    for (const track of update.ended) {
      const f = this.followed.get(track.id) ?? this.follow(track);
      f.track = track;
      this.followed.delete(track.id);
      live.delete(track.id);
      if (!track.confirmed) continue;
      crossings.push(...this.settle(f, Infinity));
      sightings.push(this.draft(f, true, nowMs));
    }
    // a track the tracker dropped without saying so has ended too: nothing here outlives its track
    for (const [id, f] of this.followed) {
      if (live.has(id)) continue;
      this.followed.delete(id);
      if (!f.track.confirmed) continue;
      crossings.push(...this.settle(f, Infinity));
      sightings.push(this.draft(f, true, nowMs));
    }
    crossings.sort((a, b) => a.at - b.at || a.trackId - b.trackId);
    return { crossings, sightings };
  }

  /** The box stops: every confirmed live track becomes a final sighting. */
  endAll(nowMs: number): SightingDraft[] {
    const out: SightingDraft[] = [];
    for (const f of this.followed.values()) {
      if (!f.track.confirmed) continue;
      // the box is stopping: a crossing not yet settled goes on the sighting, uncounted
      for (const { crossing: c } of f.unsettled.values()) if (f.lines.length < MAX_LINES) f.lines.push({ line: c.line, direction: c.direction, at: c.at });
      out.push(this.draft(f, true, nowMs));
    }
    this.followed.clear();
    return out;
  }

  private follow(track: Track): Followed {
    return {
      track,
      id: undefined,
      first: undefined,
      last: undefined,
      lastAt: 0,
      inside: new Set(),
      sides: new Map(),
      lines: [],
      pending: [],
      unsettled: new Map(),
      dwell: new Map(),
      nextPartialAt: track.firstSeenMs + this.longStayMs,
    };
  }

  /** One seen position of the track: zone dwell since the previous one, and any line it crossed. */
  private sample(f: Followed, track: Track, nowMs: number): Crossing[] {
    const p = groundPoint(track.box, this.width, this.height);
    const inside = new Set(zonesAt(this.zones, p));
    if (f.last !== undefined) {
      // each interval counts half for the zone it started in and half for the one it ended in
      const dt = Math.max(0, nowMs - f.lastAt);
      for (const z of new Set([...f.inside, ...inside])) {
        const share = ((f.inside.has(z) ? 1 : 0) + (inside.has(z) ? 1 : 0)) / 2;
        f.dwell.set(z, (f.dwell.get(z) ?? 0) + dt * share);
      }
    } else {
      for (const z of inside) f.dwell.set(z, 0);
    }
    f.first ??= p;
    f.last = p;
    f.lastAt = nowMs;
    f.inside = inside;
    if (track.stationary) return this.settle(f, nowMs);
    for (const line of this.lines) {
      const direction = this.step(f, line, p, nowMs);
      if (direction === undefined) continue;
      const waiting = f.unsettled.get(line.id);
      // back over the line before the last crossing settled: a box jittering on it, neither counts
      if (waiting !== undefined) f.unsettled.delete(line.id);
      else f.unsettled.set(line.id, { crossing: { trackId: track.id, camera: this.camera, label: track.label, line: line.id, ...direction }, seenAt: nowMs });
    }
    return this.settle(f, nowMs);
  }

  /** The track's crossings that have stayed past their line settleMs by `nowMs` (Infinity: all, the track ended). */
  private settle(f: Followed, nowMs: number): Crossing[] {
    const found: Crossing[] = [];
    for (const [line, { crossing: c, seenAt }] of f.unsettled) {
      if (nowMs - seenAt < this.settleMs) continue;
      f.unsettled.delete(line);
      if (f.lines.length < MAX_LINES) f.lines.push({ line: c.line, direction: c.direction, at: c.at });
      found.push({ ...c, label: f.track.label });
    }
    return found;
  }

  /**
   * The side of the line is only changed by a point clearly (≥ lineMargin) past it; the crossing is the step from
   * the last point on the old side to that one, and counts only when it passes between the line's two ends.
   */
  private step(f: Followed, line: { id: string; points: readonly [Point, Point]; length: number }, p: Point, nowMs: number): { direction: Direction; at: number } | undefined {
    const [a, b] = line.points;
    const d = sideOf(a, b, p) / line.length;
    const raw = Math.sign(d);
    const s = f.sides.get(line.id);
    // the first point decides the side even inside the margin: a car first seen right at the line still counts
    if (s === undefined || s.side === 0) {
      f.sides.set(line.id, { side: raw, anchor: p, leftAt: undefined });
      return undefined;
    }
    if (raw === s.side) {
      s.anchor = p;
      s.leftAt = undefined;
      return undefined;
    }
    s.leftAt ??= nowMs;
    if (Math.abs(d) < this.lineMargin) return undefined;
    const direction = crossing(a, b, s.anchor, p);
    const at = s.leftAt;
    f.sides.set(line.id, { side: raw, anchor: p, leftAt: undefined });
    return direction === undefined ? undefined : { direction, at };
  }

  private draft(f: Followed, final: boolean, nowMs = f.lastAt): SightingDraft {
    const t = f.track;
    f.id ??= this.newId(nowMs);
    const first = f.first ?? groundPoint(t.box, this.width, this.height);
    const last = f.last ?? first;
    const draft: SightingDraft = {
      id: f.id,
      trackId: t.id,
      camera: this.camera,
      label: t.label,
      first: t.firstSeenMs,
      last: Math.max(t.firstSeenMs, t.lastSeenMs),
      score: round4(t.bestScore),
      box: normaliseBox(t.bestBox, this.width, this.height),
      bestBoxPx: { ...t.bestBox },
      bestAt: t.bestAtMs,
      heading: this.heading(first, last, t.bestBox.h),
      lines: f.lines.map((l) => ({ ...l })),
      zones: [...f.dwell].map(([zone, ms]) => ({ zone, seconds: round1(ms / 1000) })),
      final,
    };
    if (t.riders > 0) draft.riders = Math.min(MAX_RIDERS, t.riders);
    return draft;
  }

  /** Degrees clockwise from "up the picture", measured in pixels; null when it moved less than its box is high. */
  private heading(first: Point, last: Point, boxHeightPx: number): number | null {
    const dx = (last[0] - first[0]) * this.width;
    const dy = (last[1] - first[1]) * this.height;
    if (Math.hypot(dx, dy) < Math.max(1, boxHeightPx)) return null;
    const deg = Math.round((Math.atan2(dx, -dy) * 180) / Math.PI);
    return (deg + 360) % 360;
  }
}
