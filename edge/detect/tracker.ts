// Object tracking for dense street traffic: one camera's detections over time into tracks with stable ids.
// ByteTrack-style: a constant-velocity Kalman filter per track, confident detections start tracks, weak ones only
// keep them alive, riders merged into their two-wheeler. Pure: the caller passes frame timestamps.
import { centre, iou, overlapOf, type Box } from '../geometry.js';
import { blend, similarity } from './appearance.js';
import type { Detection, DetectionLabel } from './detector.js';
import type { Track, TrackerUpdate } from './track.js';

export interface TrackerOptions {
  /** detections at or above this score are confident: they may start tracks, default 0.5 */
  highScore?: number;
  /**
   * weaker detections down to this score keep existing tracks alive (an object half hidden), default 0.3 (never above
   * highScore). Lower, moving tracks were led astray: 0.1 on the dense street scene, 12 extra sightings in 104
   * passages against 7 (bench/track-eval.ts)
   */
  lowScore?: number;
  /**
   * fainter detections down to this score only keep a still object's track (stopped, or barely moving) where it stands,
   * default 0.1: a grey car stopped on grey road scores 0.1–0.3 for half a minute
   */
  faintScore?: number;
  /** minimum buffered IoU of a track's predicted box and a confident detection, default 0.2 */
  matchIou?: number;
  /** minimum buffered IoU for a weak detection, default 0.3: a weak box must sit closer to be believed */
  weakMatchIou?: number;
  /**
   * matched updates before a track is confirmed, default 4 (a tentative track seen twice may miss one frame among them):
   * a new track's first match is a guess (its velocity is unknown), and in dense traffic 3 confirmed a wrong guess too
   * often (2.6 % identity switches against 1.0 %). A steady track (its third or later sighting where it was expected,
   * see STEADY) is confirmed one match earlier.
   */
  minHits?: number;
  /** a confirmed moving track coasts on its prediction this long without a match, then ends, default 1500 ms */
  maxCoastMs?: number;
  /** a stationary track coasts this long (a parked car the detector misses for a while), default 10 000 ms */
  stationaryCoastMs?: number;
  /**
   * a slow track (under one of its box heights a second: a walker) coasts this long, default 4000 ms: a car passing
   * in front of a pedestrian hides them for 1–3 s, and a slow object barely moves meanwhile, so its prediction holds
   */
  slowCoastMs?: number;
  /** how long a track must have barely moved to be stationary, default 3000 ms */
  stationaryMs?: number;
  /** "barely moved": centre within this fraction of the box size (mean of w and h), default 0.1 */
  stationaryMaxMove?: number;
}

// Motion model. A Kalman filter rather than an alpha-beta one because frames come at irregular intervals (5 fps,
// sometimes 1 s gaps): its gain follows the uncertainty grown over the real dt, and a new track learns its velocity
// from its second sighting. Noise is in units of the box height (h) so that near and far objects behave alike.
/** detector box jitter (sd of each coordinate): YOLOX-Nano boxes wobble by a few % of their height */
const MEASURE_SD = 0.05;
/**
 * unexplained acceleration of the centre, h/s²: a motorbike braking or weaving through traffic. The synthetic dense
 * traffic (constant speeds) liked 0.5 a little better (0.9 % identity switches against 1.0 %), 2 was worse (1.7 %).
 */
const ACCEL_SD = 1;
/** …of the box size, which changes slowly (an object nearing the camera) */
const SIZE_ACCEL_SD = 0.2;
/** what a new track may be doing before its second sighting: up to a fast motorbike, ~5 h/s */
const INITIAL_SPEED_SD = 5;
const INITIAL_SIZE_RATE_SD = 0.5;
/**
 * The gate is IoU of boxes buffered by the track's position uncertainty (a new track, a long gap: wider), never by
 * more than this many box heights: so a detection must lie within about a box of where the track was expected,
 * and a loop wrap (every object jumping elsewhere) is never taken for motion.
 */
const MAX_BUFFER = 1;

// One object, one track. Chosen from the geometry of a seated rider (hips at seat height ~0.8 m, head ~1.6 m, a
// motorbike ~1.1 m high, 0.7 m wide from the front, 1.9 m long from the side) with margin for detector jitter.
/**
 * share of the lower half of the person's box (legs below it included, see HIDDEN_LEGS) inside the two-wheeler's box:
 * a rider's hips and legs are on it. The street scene's riders overlap by 0.4–0.6 (the detector's boxes end at the
 * knees as often as at the feet; with the input shaped like the frame, often at the saddle), so 0.35 leaves room for
 * jitter: at 0.45 the shaped model split half the riders into a bike and a "fast person" (47 two-wheelers counted for 32).
 */
const RIDER_OVERLAP = 0.35;
/**
 * centres at most this share of the two-wheeler's width apart (a pillion sits a little behind): at 0.4 a pedestrian
 * crossing the zebra 0.35 off a waiting bicycle's centre became its rider with the frame-shaped model, and the bicycle
 * was counted across the zebra (bench/track-eval.ts)
 */
const RIDER_MAX_DX = 0.3;
/** person box height relative to the two-wheeler's, min and max: no tiny far bike claims a near pedestrian */
const RIDER_HEIGHT_RATIO = [0.6, 2.5] as const;
/** `riders` is the most people seen on the two-wheeler within this window */
const RIDER_WINDOW_MS = 2000;
/**
 * A `person` faster than this many of its own box heights per second is riding: a walker does ~0.8 (1.4 m/s at
 * 1.7 m), a jogger under 2, a motorbike in town 3–6 (20–40 km/h, rider box ~1.5 m).
 */
const VEHICLE_SPEED = 2.5;
/** …sustained this long (5 frames at 5 fps), so one jumpy box does not make a walker a motorbike */
const VEHICLE_SPEED_FOR_MS = 1000;

type Family = 'person' | 'two-wheeler' | 'vehicle';
/** Labels the detector flips between on one object (car/truck/bus, bicycle/motorcycle) share a family. */
const FAMILY: Record<DetectionLabel, Family> = {
  person: 'person', bicycle: 'two-wheeler', motorcycle: 'two-wheeler', car: 'vehicle', truck: 'vehicle', bus: 'vehicle',
};

/**
 * How much looks weigh in choosing between candidate matches: a pair's rank is its gate IoU times
 * (1 − w + w × colour similarity). Never a gate of its own: light changes, and a track's look is only a blend.
 * On the dense street scene at 5 fps (bench/track-eval.ts), extra sightings: none 9.6 %, 0.5 → 7.7 %, 0.8 → 6.7 %
 * (walkers passing each other keep their ids); 1.0 the same as 0.8. A lateral gate (no jump across the heading)
 * was tried too and cost cars more than it saved (occluded cars' boxes shift).
 */
const LOOK_WEIGHT = 0.8;

/** The faintest detection the tracker uses (see TrackerOptions.faintScore): the detector need not return weaker ones. */
export const FAINT_SCORE = 0.1;
/**
 * Frames a tentative track seen at least twice may miss in a row and live. On the dense street scene (one loop,
 * bench/track-eval.ts) 0 left one car in 19 uncounted; 1 counts every cell exactly.
 */
const TENTATIVE_MISSES = 1;
/** A faint detection keeps a still track only this close to where it stands (plain IoU) */
const FAINT_IOU = 0.5;
/** still: slower than this many of its box heights a second (a car pulling in, a pedestrian waiting) */
const STILL_SPEED = 0.3;
const isStill = (s: State) => s.confirmed && (s.stationary || Math.hypot(s.velocity.x, s.velocity.y) < STILL_SPEED * s.box.h);

/**
 * A weak box this many times taller or shorter than the track's is not its object: two cars in neighbouring lanes
 * that overlap come back as one weak box about twice a car's height, and the track that took it jumped lanes (on the
 * dense street scene, forward cars counted 17 of 19 without this check, 18 with it; a confident box is never held to it,
 * a half-hidden object's box shrinks).
 */
const WEAK_SIZE_RATIO = 1.6;
const sameSize = (a: Box, b: Box) => b.h <= a.h * WEAK_SIZE_RATIO && b.h >= a.h / WEAK_SIZE_RATIO;
const across = (s: State, o: Observation) => FAMILY[o.label] !== s.family;

/**
 * A track whose latest confident sighting lies within this many box heights of where it predicted is steady: it may
 * confirm one hit before minHits (but never before its third). Its velocity came from its own earlier sightings, so a
 * wrong second guess (a neighbour's box) shows as a jump here. On the dense street scene (bench/track-eval.ts) entry →
 * confirmed p95 went from 1 468 to 1 268 ms with the square model and from 801 to 502 ms with the frame-shaped one,
 * with the same counts and extra sightings; the dense-traffic identity test keeps its 0.99 % switches (3 hits for every
 * track: 2.6 %).
 */
const STEADY = 0.2;

/** Overlap above which two look-alike detections (a car and a truck) are one object the detector named twice. */
const SAME_OBJECT_IOU = 0.6;

/**
 * One object, one detection: the detector's NMS works per class, so a pick-up often comes back as a car and as a
 * truck on the same box. The weaker of two look-alikes that overlap this much goes; otherwise it would start a
 * second track, and the object would be counted twice.
 */
export function oneLabelEach(detections: readonly Detection[]): Detection[] {
  const kept: Detection[] = [];
  for (const d of [...detections].sort((a, b) => b.score - a.score)) {
    const twin = kept.some((k) => k.label !== d.label && FAMILY[k.label] === FAMILY[d.label] && iou(k.box, d.box) >= SAME_OBJECT_IOU);
    if (!twin) kept.push(d);
  }
  return kept;
}

/** A detection as the tracker sees it: a two-wheeler carries the boxes of the people riding it. */
interface Observation {
  label: DetectionLabel;
  score: number;
  box: Box;
  riders: Box[];
  appearance: Float32Array | undefined;
}

/** One coordinate and its rate with their covariance [[pp, pv], [pv, vv]]; four (cx, cy, w, h) make the model. */
type Axis = Record<'p' | 'v' | 'pp' | 'pv' | 'vv', number>;

interface State extends Track {
  family: Family;
  /** summed score per label seen: the track's label is the most voted of its family */
  votes: Map<DetectionLabel, number>;
  axes: [cx: Axis, cy: Axis, w: Axis, h: Axis];
  /** the time the filter has been predicted to */
  atMs: number;
  /** measured centres over the last stationaryMs */
  centres: { t: number; cx: number; cy: number }[];
  riderLog: { t: number; n: number }[];
  /** where the rider sits on the two-wheeler (centre offset in box widths and heights): a rider-only sighting moves it */
  riderOffset?: { dx: number; dy: number };
  /** since when a person track has moved at vehicle speed */
  fastSinceMs?: number;
  /** what it looks like (appearance.ts), followed slowly */
  look?: Float32Array;
}

/** One per camera. */
export class Tracker {
  private readonly highScore: number;
  private readonly lowScore: number;
  private readonly faintScore: number;
  private readonly matchIou: number;
  private readonly weakMatchIou: number;
  private readonly minHits: number;
  private readonly maxCoastMs: number;
  private readonly stationaryCoastMs: number;
  private readonly slowCoastMs: number;
  private readonly stationaryMs: number;
  private readonly stationaryMaxMove: number;
  private live: State[] = [];
  private nextId = 1;

  constructor(options: TrackerOptions = {}) {
    this.highScore = options.highScore ?? 0.5;
    this.lowScore = Math.min(options.lowScore ?? 0.3, this.highScore);
    this.faintScore = options.faintScore ?? FAINT_SCORE;
    this.matchIou = options.matchIou ?? 0.2;
    this.weakMatchIou = options.weakMatchIou ?? 0.3;
    this.minHits = options.minHits ?? 4;
    this.maxCoastMs = options.maxCoastMs ?? 1500;
    this.stationaryCoastMs = options.stationaryCoastMs ?? 10_000;
    this.slowCoastMs = options.slowCoastMs ?? 4000;
    this.stationaryMs = options.stationaryMs ?? 3000;
    this.stationaryMaxMove = options.stationaryMaxMove ?? 0.1;
  }

  /** One detect frame; timestamps never go back (the frame's own time, not the clock's). */
  update(detections: readonly Detection[], timestampMs: number): TrackerUpdate {
    const t = timestampMs;
    const ended: Track[] = [];
    // A track lost for longer than it may coast cannot take a detection any more, even one right where it was.
    this.live = this.live.filter((s) => {
      const slow = Math.hypot(s.velocity.x, s.velocity.y) < s.box.h;
      const alive = t - s.lastSeenMs <= (s.stationary ? this.stationaryCoastMs : slow ? this.slowCoastMs : this.maxCoastMs);
      if (!alive && s.confirmed) ended.push(snapshot(s));
      return alive;
    });
    for (const s of this.live) predict(s, t);

    const usable = oneLabelEach(detections.filter((d) => d.score >= this.faintScore && d.box.w > 0 && d.box.h > 0));
    // faint boxes stay out of the riders' merge: a faint motorbike must not carry off a clearly seen pedestrian
    const observations = [
      ...withRiders(usable.filter((d) => d.score >= this.lowScore)),
      ...usable.filter((d) => d.score < this.lowScore).map((d): Observation => ({ label: d.label, score: d.score, box: d.box, riders: [], appearance: d.appearance })),
    ];
    const { matched, taken } = this.associate(observations, t);

    // A tentative track seen once that misses is most likely a false detection: it goes at once, unreported. One seen
    // twice or more may miss one frame: a car half hidden by people on a zebra crossing scores 0.1–0.8 frame by frame,
    // and its tentative tracks died at their 4th frame again and again until it had crossed the counting line
    this.live = this.live.filter((s) => matched.has(s) || s.confirmed || (s.hits >= 2 && s.misses < TENTATIVE_MISSES));
    for (const s of this.live) if (!matched.has(s)) s.misses++;

    for (const o of observations) {
      if (taken.has(o) || o.score < this.highScore) continue;
      const bike = o.label === 'person' ? this.live.find((s) => s.family === 'two-wheeler' && riderFit(o.box, s.box) > 0) : undefined;
      if (bike !== undefined) addRiders(bike, t, 1);
      else this.live.push(this.start(o, t));
    }
    return { tracks: this.live.map(snapshot), ended };
  }

  /** The box stops: every live confirmed track ends, once. */
  endAll(): Track[] {
    const ended = this.live.filter((s) => s.confirmed).map(snapshot);
    this.live = [];
    return ended;
  }

  /** Live tracks, confirmed or not. */
  get size(): number {
    return this.live.length;
  }

  /**
   * ByteTrack's two kinds of detection in one greedy pass, best fit first: a weak detection must fit a track more
   * closely and never starts one. Its confident-first stages, tried here, let a track whose own detection came weak
   * take a neighbour's confident one (six 60 s dense-traffic scenes: 6.6 % identity switches against 1.0 %). Greedy
   * rather than optimal: with 40 objects the answers barely differ (a pairwise-swap pass gained 0.05 %). A match across
   * families (a rider's track taking its motorbike) comes after all same-family ones, so that a pedestrian passing
   * behind a parked motorbike never takes the motorbike's detection (and its label).
   */
  private associate(observations: Observation[], t: number): { matched: Set<State>; taken: Set<Observation> } {
    const pairs: { s: State; o: Observation; fit: number; rank: number; box: Box; across: boolean }[] = [];
    for (const s of this.live) {
      for (const o of observations) {
        const f = fit(s, o);
        if (f === undefined) continue;
        const isAcross = across(s, o);
        if (o.score < this.lowScore) {
          // a faint box only says a still object is still there, and only right where it stands
          if (!isStill(s) || isAcross || iou(s.box, o.box) < FAINT_IOU) continue;
        } else if (f.fit < (o.score >= this.highScore ? this.matchIou : this.weakMatchIou)) continue;
        else if (o.score < this.highScore && !isAcross && s.hits >= 3 && !sameSize(s.box, f.box)) continue;
        // where it was expected decides whether it may match; how alike it looks decides between the candidates
        const look = !isAcross && s.look && o.appearance ? similarity(s.look, o.appearance) : 1;
        pairs.push({ s, o, ...f, rank: f.fit * (1 - LOOK_WEIGHT + LOOK_WEIGHT * look), across: isAcross });
      }
    }
    pairs.sort((a, b) => Number(a.across) - Number(b.across) || b.rank - a.rank);
    const matched = new Set<State>();
    const taken = new Set<Observation>();
    for (const { s, o, box } of pairs) {
      if (matched.has(s) || taken.has(o)) continue;
      matched.add(s);
      taken.add(o);
      this.observe(s, o, box, t);
    }
    return { matched, taken };
  }

  private start(o: Observation, t: number): State {
    const box = { ...o.box };
    const s: State = {
      id: this.nextId++, label: o.label, box, score: o.score, bestScore: o.score, bestBox: box, bestAtMs: t,
      hits: 0, misses: 0, confirmed: false, stationary: false, firstSeenMs: t, lastSeenMs: t,
      velocity: { x: 0, y: 0 }, riders: 0, inferred: false,
      family: FAMILY[o.label], votes: new Map(), axes: axesAt(box), atMs: t, centres: [], riderLog: [],
    };
    this.observe(s, o, box, t);
    return s;
  }

  /** The track saw `o`, measured as `box` (the two-wheeler's box, also when only its rider was seen). */
  private observe(s: State, o: Observation, box: Box, t: number): void {
    const family = FAMILY[o.label];
    if (s.family === 'person' && family === 'two-wheeler') {
      // A rider's track meets its motorbike: from now on it follows the motorbike's box, at the rider's speed.
      const [vx, vy] = [s.axes[0], s.axes[1]];
      s.axes = axesAt(box);
      Object.assign(s.axes[0], { v: vx.v, vv: vx.vv });
      Object.assign(s.axes[1], { v: vy.v, vv: vy.vv });
      s.family = family;
      s.votes.clear();
      s.inferred = false;
    }
    const { cx, cy } = centre(box);
    // where it was against where the track expected it, in box heights (before this sighting moves the filter)
    const surprise = s.hits === 0 ? Infinity : Math.hypot(cx - s.axes[0].p, cy - s.axes[1].p) / Math.max(1, s.axes[3].p);
    const r = (MEASURE_SD * Math.max(1, s.axes[3].p)) ** 2;
    [cx, cy, box.w, box.h].forEach((z, i) => correct(s.axes[i]!, z, r));

    if (family === s.family) s.votes.set(o.label, (s.votes.get(o.label) ?? 0) + o.score);
    if (family === s.family && o.appearance) {
      if (s.look) blend(s.look, o.appearance);
      else s.look = Float32Array.from(o.appearance);
    }
    s.box = { ...box };
    s.score = o.score;
    if (o.score > s.bestScore || s.hits === 0) Object.assign(s, { bestScore: o.score, bestBox: s.box, bestAtMs: t });
    s.hits++;
    s.misses = 0;
    s.lastSeenMs = t;
    // one hit early when the third sighting lies where the first two said it would (so the second was no wrong guess)
    s.confirmed ||= s.hits >= this.minHits || (s.hits >= Math.max(3, this.minHits - 1) && surprise <= STEADY && o.score >= this.highScore);

    // Stationary: every centre over the window within a small share of the box size of the latest one.
    s.centres.push({ t, cx, cy });
    while (s.centres.length > 1 && s.centres[1]!.t <= t - this.stationaryMs) s.centres.shift();
    const limit = this.stationaryMaxMove * ((box.w + box.h) / 2);
    s.stationary =
      t - s.centres[0]!.t >= this.stationaryMs && s.centres.every((c) => Math.hypot(c.cx - cx, c.cy - cy) <= limit);
    // A stopped object does not drift while the detector misses it, nor creep across a counting line.
    if (s.stationary) for (const a of s.axes) a.v = 0;
    s.velocity = { x: s.axes[0].v, y: s.axes[1].v };

    if (s.family === 'person' && !s.inferred) {
      const fast = Math.hypot(s.velocity.x, s.velocity.y) >= VEHICLE_SPEED * s.axes[3].p && s.hits > 1;
      s.fastSinceMs = fast ? (s.fastSinceMs ?? t) : undefined;
      // Once riding, always riding: a motorbike waiting at a red light does not turn back into a pedestrian.
      if (s.fastSinceMs !== undefined && t - s.fastSinceMs >= VEHICLE_SPEED_FOR_MS) s.inferred = true;
    }
    s.label = labelOf(s);

    const [rider] = o.riders;
    if (rider !== undefined) {
      const rc = centre(rider);
      s.riderOffset = { dx: (rc.cx - cx) / box.w, dy: (rc.cy - cy) / box.h };
    }
    // a lone person taken by a two-wheeler track is its rider
    addRiders(s, t, family === s.family ? o.riders.length : 1);
  }
}

function axesAt(box: Box): State['axes'] {
  const { cx, cy } = centre(box);
  const sd = MEASURE_SD * box.h;
  const axis = (p: number, rateSd: number): Axis => ({ p, v: 0, pp: sd ** 2, pv: 0, vv: (rateSd * box.h) ** 2 });
  return [axis(cx, INITIAL_SPEED_SD), axis(cy, INITIAL_SPEED_SD), axis(box.w, INITIAL_SIZE_RATE_SD), axis(box.h, INITIAL_SIZE_RATE_SD)];
}

/** Moves the filter to time t at constant velocity (white-noise acceleration) and puts the box where it predicts. */
function predict(s: State, t: number): void {
  const dt = (t - s.atMs) / 1000;
  if (dt > 0) {
    const h = s.axes[3].p;
    s.axes.forEach((a, i) => {
      const q = ((i < 2 ? ACCEL_SD : SIZE_ACCEL_SD) * h) ** 2;
      a.p += a.v * dt;
      a.pp += 2 * a.pv * dt + a.vv * dt * dt + (q * dt ** 3) / 3;
      a.pv += a.vv * dt + (q * dt * dt) / 2;
      a.vv += q * dt;
    });
    s.atMs = t;
  }
  s.box = boxOf(s);
}

function correct(a: Axis, z: number, r: number): void {
  const kp = a.pp / (a.pp + r);
  const kv = a.pv / (a.pp + r);
  const innovation = z - a.p;
  a.p += kp * innovation;
  a.v += kv * innovation;
  a.vv -= kv * a.pv;
  a.pv *= 1 - kp;
  a.pp *= 1 - kp;
}

function boxOf({ axes: [cx, cy, w, h] }: State): Box {
  const [bw, bh] = [Math.max(1, w.p), Math.max(1, h.p)];
  return { x: cx.p - bw / 2, y: cy.p - bh / 2, w: bw, h: bh };
}

/**
 * How well `o` fits the track's predicted box, and the box it measures; undefined when they cannot be one object.
 * A person track may take a two-wheeler through its rider (the detector saw the motorbike at last); a two-wheeler
 * track may take a lone person where its rider sits (the detector saw only the rider).
 */
function fit(s: State, o: Observation): { fit: number; box: Box } | undefined {
  const family = FAMILY[o.label];
  if (family === s.family) return { fit: gateIou(s, o.box), box: o.box };
  if (s.family === 'person' && o.riders.length > 0) return { fit: Math.max(...o.riders.map((r) => gateIou(s, r))), box: o.box };
  if (s.family === 'two-wheeler' && o.label === 'person' && s.riderOffset !== undefined) {
    const { w, h } = s.box;
    const { cx, cy } = centre(o.box);
    const box = { x: cx - s.riderOffset.dx * w - w / 2, y: cy - s.riderOffset.dy * h - h / 2, w, h };
    return { fit: gateIou(s, box), box };
  }
  return undefined;
}

/** IoU of the predicted and the observed box, both widened by the track's position uncertainty (none when stationary). */
function gateIou(s: State, b: Box): number {
  const p = s.box;
  if (s.stationary) return iou(p, b);
  const bx = Math.min(Math.sqrt(s.axes[0].pp), MAX_BUFFER * p.h);
  const by = Math.min(Math.sqrt(s.axes[1].pp), MAX_BUFFER * p.h);
  const widen = (a: Box): Box => ({ x: a.x - bx, y: a.y - by, w: a.w + 2 * bx, h: a.h + 2 * by });
  return iou(widen(p), widen(b));
}

/** Each person sitting on a two-wheeler detection becomes that detection's rider instead of an object of its own. */
function withRiders(detections: readonly Detection[]): Observation[] {
  const all = detections.map((d): Observation => ({ label: d.label, score: d.score, box: d.box, riders: [], appearance: d.appearance }));
  const bikes = all.filter((o) => FAMILY[o.label] === 'two-wheeler');
  return all.filter((o) => {
    if (o.label !== 'person') return true;
    let best: Observation | undefined;
    let bestFit = 0;
    for (const b of bikes) {
      const f = riderFit(o.box, b.box);
      if (f > bestFit) [best, bestFit] = [b, f];
    }
    if (best === undefined) return true;
    best.riders.push(o.box);
    // The object is as certain as its clearest part: a faint motorbike under a sharp rider is a confident motorbike.
    best.score = Math.max(best.score, o.score);
    return false;
  });
}

/** How far below its box a person's legs may go: a rider's legs are often hidden by the two-wheeler (the box ends at it). */
const HIDDEN_LEGS = 0.3;

/** How squarely the person sits on the two-wheeler (0: not a rider). */
function riderFit(person: Box, bike: Box): number {
  const lowerHalf = { x: person.x, y: person.y + person.h / 2, w: person.w, h: person.h * (0.5 + HIDDEN_LEGS) };
  const overlap = overlapOf(lowerHalf, bike);
  const ratio = person.h / bike.h;
  const aligned = Math.abs(centre(person).cx - centre(bike).cx) <= RIDER_MAX_DX * bike.w;
  return overlap >= RIDER_OVERLAP && aligned && ratio >= RIDER_HEIGHT_RATIO[0] && ratio <= RIDER_HEIGHT_RATIO[1] ? overlap : 0;
}

function addRiders(s: State, t: number, n: number): void {
  const last = s.riderLog.at(-1);
  if (last?.t === t) last.n += n;
  else s.riderLog.push({ t, n });
  while (s.riderLog[0]!.t < t - RIDER_WINDOW_MS) s.riderLog.shift();
  s.riders = Math.max(s.inferred ? 1 : 0, ...s.riderLog.map((e) => e.n));
}

function labelOf(s: State): DetectionLabel {
  if (s.family === 'person') return s.inferred ? 'motorcycle' : 'person';
  let best = s.label;
  let most = -1;
  for (const [label, votes] of s.votes) if (votes > most) [best, most] = [label, votes];
  return best;
}

/** The public part of a track, copied: callers may keep it while the tracker goes on. */
function snapshot(s: State): Track {
  const { id, label, score, bestScore, bestAtMs, hits, misses, confirmed, stationary, firstSeenMs, lastSeenMs, riders, inferred } = s;
  return {
    id, label, score, bestScore, bestAtMs, hits, misses, confirmed, stationary, firstSeenMs, lastSeenMs, riders, inferred,
    box: { ...s.box }, bestBox: { ...s.bestBox }, velocity: { ...s.velocity },
  };
}
