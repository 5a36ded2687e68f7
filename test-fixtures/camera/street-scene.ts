// The `street` scene: a Ho Chi Minh City street seen from a pole — shops and a pavement on the far side, two
// lanes each way (the far kerb lane is a stopping area, the near lane is for two-wheelers), a zebra crossing,
// side streets — with 20–40 people, riders and cars in view at once, on a seeded schedule. Pure: the schedule and
// its ground truth, the scenery, and the overlays of the ffmpeg graph (scenes.ts wraps them; scene-cache.ts
// encodes).
import { CUTOUTS_BY_LABEL, type Cutout } from './cutouts.js';
import { frameIntervals, stopsOf, type Frame } from './path-truth.js';
import type { CountingLine, Interval, Keyframe, ObjectLabel, StreetObject, StreetRole, Zone } from './truth-types.js';

export type { StreetObject, StreetRole } from './truth-types.js';

export const STREET_SEED = 20261205;

// ---------------------------------------------------------------------------------------------
// Layout, in the pixels of a 1280×720 picture (scaled to the main stream's size)

const DESIGN = { width: 1280, height: 720 };

/**
 * Ground lines (y of the objects' bottom edge), top to bottom. Each band is as tall as what moves in it, so
 * that lanes do not cover each other (the camera's own pavement is below the picture).
 */
const GROUND = {
  farWalkLeft: 158, // far pavement, walking right to left (clear of the stopped cars' roofs: the detector
  farWalkRight: 166, // misses a car with people standing on it)
  lane1: 318, // right to left: the kerb lane, where cars stop (they pull in from lane 2 and out again)
  lane2: 446, // right to left
  refuge: 452, // the centre line, where people crossing up wait
  lane3: 578, // left to right
  lane4: 700, // left to right: two-wheelers (whole in the picture: a box cut by its edge has no ground point on a line)
};

const ROAD = { top: 198, bottom: 720 };
const ZEBRA = { left: 320, right: 440 };
const STOP_AREA = { left: 460, right: 1060, top: 300, bottom: 336 };
const TOP_STREET = { left: 1070, right: 1280 };
/** x of the middle of turners in the side streets (the top one is narrower than a car: it recedes) */
const TOP_STREET_X = 1130;
/** x of the side street below the picture that turners use */
const BOTTOM_STREET_X = 150;
/** Where stoppers stand in the stopping area: left edges of their boxes. */
const SPOTS = { a: 470, b: 766 };
/** A two-wheeler overtakes this far to the left (up the picture). */
const SWERVE = 80;

const norm = (x: number, y: number): [number, number] => [
  Math.round((x / DESIGN.width) * 10_000) / 10_000,
  Math.round((y / DESIGN.height) * 10_000) / 10_000,
];
const rect = (left: number, top: number, right: number, bottom: number): [number, number][] => [
  norm(left, top), norm(right, top), norm(right, bottom), norm(left, bottom),
];

/**
 * Suggested counting lines (normalised). `lanes`: across all four lanes at x 0.5, drawn top to bottom, so
 * `forward` is left to right (the lower lanes) and `backward` right to left (the upper lanes); the pavement is
 * above it. `zebra`: along the middle of the road over the zebra crossing, drawn left to right, so `forward` is
 * crossing upward and `backward` downward; vehicles move along it, never across it.
 */
export const STREET_LINES: readonly CountingLine[] = [
  { id: 'lanes', points: [norm(640, 209), norm(640, 719)] },
  { id: 'zebra', points: [norm(300, 504), norm(460, 504)] },
];

/** Suggested zones (normalised): the stopping area in the far kerb lane, the zebra crossing over the road, the whole carriageway. */
export const STREET_ZONES: readonly Zone[] = [
  { id: 'stop-area', polygon: rect(STOP_AREA.left, STOP_AREA.top, STOP_AREA.right, STOP_AREA.bottom) },
  { id: 'pedestrian-crossing', polygon: rect(ZEBRA.left, ROAD.top, ZEBRA.right, ROAD.bottom) },
  { id: 'road', polygon: rect(0, ROAD.top, DESIGN.width, ROAD.bottom) },
];

// ---------------------------------------------------------------------------------------------
// What moves

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32). */
export function randomSource(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const even = (n: number): number => Math.max(2, 2 * Math.round(n / 2));
const round3 = (n: number): number => Math.round(n * 1000) / 1000;

type Kind = 'car' | 'rider' | 'bicycle' | 'person';

/**
 * ffmpeg filters that recolour a cut-out (the photo's pick-up is white, the bike red, the jacket blue). Cars are
 * tinted in the highlights only, so that the road and trees around them keep their colour and the detector still
 * sees a car; the bike's own red on the yellow porch is what the detector sees worst, so it is always turned.
 */
const TINTS: Record<string, string> = {
  'car/grey': 'colorchannelmixer=rr=0.62:gg=0.62:bb=0.64',
  'car/dark': 'colorchannelmixer=rr=0.5:gg=0.5:bb=0.53',
  'car/red': 'colorbalance=rh=0.3:gh=-0.35:bh=-0.35:rs=0.15:gs=-0.05:bs=-0.05',
  'car/blue': 'colorbalance=rh=-0.5:gh=-0.25:bh=0.4',
  'car/yellow': 'colorbalance=rh=0.25:gh=0.15:bh=-0.6',
  'bicycle/blue': 'hue=h=220',
  'bicycle/violet': 'hue=h=250',
  'bicycle/teal': 'hue=h=170',
  'bicycle/purple': 'hue=h=280',
  'person/red': 'hue=h=150',
  'person/green': 'hue=h=-90',
  'person/purple': 'hue=h=60',
};
const PERSON_COLOURS = ['blue', 'red', 'green', 'purple'];
const BICYCLE_COLOURS = ['blue', 'violet', 'teal', 'purple'];

/**
 * A rider: the person sits over the saddle, 1.2 × the bicycle's height, and the bicycle is drawn over their
 * lower 30 % (so both stay recognisable: the cut-outs are opaque rectangles).
 */
const RIDER = { personScale: 1.2, hiddenShare: 0.3, saddle: 0.64 };

interface Look {
  kind: Kind;
  width: number;
  height: number;
  colour: string;
  flipped: boolean;
  parts?: StreetObject['parts'];
}

/** Ground-point keyframes: [t, x of the box's middle, y of its bottom edge]. */
type GroundKey = [number, number, number];

interface Draft {
  look: Look;
  role: StreetRole;
  layer: number;
  ground: GroundKey[];
  /** the track it was made on (slots are only swapped within one) */
  track: string;
}

interface Track {
  name: string;
  /** +1 left to right, -1 right to left */
  dir: 1 | -1;
  ground: number;
  layer: number;
  /** kinds with weights, drawn height (design px; a rider's is its bicycle's), speed range (design px/s) */
  mix: { kind: Kind; weight: number; height: number; speed: [number, number] }[];
  /** colours to pick from (the further, smaller cars only in those the detector sees best) */
  colours: readonly string[];
  /** clear space ahead of each one when it enters, design px */
  gap: [number, number];
  /** walkers may catch up with and pass one another (they overlap for a moment); vehicles keep their gap */
  passing?: boolean;
}

// Sizes are what YOLOX-Nano needs on the 640×360 sub stream (measured on the cut-outs alone: the pick-up from
// ~120 px tall when white or grey, ~130–140 px tinted; the bicycle, tinted, from ~150 px; people from ~120 px).
const TRACKS: Track[] = [
  { name: 'far-walk-left', dir: -1, ground: GROUND.farWalkLeft, layer: 1, mix: [{ kind: 'person', weight: 1, height: 124, speed: [48, 62] }], colours: PERSON_COLOURS, gap: [60, 260], passing: true },
  { name: 'far-walk-right', dir: 1, ground: GROUND.farWalkRight, layer: 2, mix: [{ kind: 'person', weight: 1, height: 124, speed: [48, 62] }], colours: PERSON_COLOURS, gap: [60, 260], passing: true },
  { name: 'lane2', dir: -1, ground: GROUND.lane2, layer: 4, mix: [{ kind: 'car', weight: 1, height: 130, speed: [155, 170] }], colours: ['white', 'white', 'grey', 'red', 'blue'], gap: [40, 200] },
  { name: 'lane3', dir: 1, ground: GROUND.lane3, layer: 5, mix: [{ kind: 'car', weight: 1, height: 136, speed: [165, 182] }], colours: ['white', 'grey', 'dark', 'red', 'blue', 'yellow'], gap: [40, 200] },
  {
    name: 'lane4', dir: 1, ground: GROUND.lane4, layer: 6,
    // two-wheelers at two-wheeler speed: ~3 rider heights a second (a walker does ~0.5 here, cars ~1.3 of theirs);
    // the tracker tells a rider seen without the bike from a pedestrian by that speed
    mix: [{ kind: 'rider', weight: 0.9, height: 146, speed: [520, 600] }, { kind: 'bicycle', weight: 0.1, height: 146, speed: [520, 600] }],
    colours: BICYCLE_COLOURS,
    gap: [500, 1100],
  },
];
/** Stoppers stand in the kerb lane, behind lane 2; crossers are drawn over everything. */
const STOPPER_LAYER = 3;
const CROSSER_LAYER = 10;

/** Walkers are laid out this much closer than their tracks' gaps say, then thinned to MAX_IN_VIEW. */
const WALKER_GAP_SCALE = 0.2;
const MAX_IN_VIEW = 37;
const FILLING = 22;

/** Everything in the schedule happens this far inside the loop: nothing is in frame at the loop wrap. */
const WRAP_MARGIN_SECONDS = 0.5;

/** A ground path's point at t (middle x, bottom y), or undefined outside its times. */
function groundAt(ground: readonly GroundKey[], t: number): [number, number] | undefined {
  if (t < ground[0]![0] || t > ground.at(-1)![0]) return undefined;
  for (let i = 1; i < ground.length; i++) {
    const [t1, x1, y1] = ground[i]!;
    if (t > t1) continue;
    const [t0, x0, y0] = ground[i - 1]!;
    const f = (t - t0) / (t1 - t0);
    return [x0 + (x1 - x0) * f, y0 + (y1 - y0) * f];
  }
  return undefined;
}

/** The object's box path (top-left keyframes) from its ground path. */
function boxPath(d: Draft): Keyframe[] {
  return d.ground.map(([t, x, y]): Keyframe => [t, x - d.look.width / 2, y - d.look.height]);
}

class Schedule {
  readonly rng: () => number;
  /** design px → main px */
  readonly sx: number;
  readonly sy: number;
  readonly drafts: Draft[] = [];

  constructor(
    readonly loopSeconds: number,
    readonly frame: Frame,
    seed: number,
  ) {
    this.rng = randomSource(seed);
    this.sx = frame.width / DESIGN.width;
    this.sy = frame.height / DESIGN.height;
  }

  uniform([a, b]: [number, number]): number {
    return a + (b - a) * this.rng();
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.rng() * items.length)]!;
  }

  X(v: number): number {
    return Math.round(v * this.sx);
  }

  Y(v: number): number {
    return Math.round(v * this.sy);
  }

  get window(): [number, number] {
    return [WRAP_MARGIN_SECONDS, this.loopSeconds - WRAP_MARGIN_SECONDS];
  }

  look(kind: Kind, designHeight: number, dir: 1 | -1, colours: readonly string[]): Look {
    const colour = this.pick(colours);
    const aspect = (c: Cutout): number => c.crop.width / c.crop.height;
    // a cut-out facing the way it moves is drawn as is; the walker, seen from behind, is mirrored one way
    const flippedFor = (c: Cutout): boolean => (c.faces === 'camera' ? dir === -1 : (c.faces === 'left') === (dir === 1));
    const height = even(designHeight * this.sy);
    if (kind !== 'rider') {
      const cut = CUTOUTS_BY_LABEL[kind];
      return { kind, width: even(height * aspect(cut)), height, colour, flipped: flippedFor(cut) };
    }
    const bike = CUTOUTS_BY_LABEL.bicycle;
    const person = CUTOUTS_BY_LABEL.person;
    const bikeWidth = even(height * aspect(bike));
    const personHeight = even(height * RIDER.personScale);
    const personWidth = even(personHeight * aspect(person));
    const bikeTop = even(personHeight * (1 - RIDER.hiddenShare));
    const flipped = flippedFor(bike);
    const saddle = flipped ? 1 - RIDER.saddle : RIDER.saddle;
    return {
      kind,
      width: bikeWidth,
      height: bikeTop + height,
      colour,
      flipped,
      // in drawing order: the bicycle covers the rider's legs
      parts: [
        { label: 'person', dx: even(saddle * bikeWidth - personWidth / 2), dy: 0, width: personWidth, height: personHeight, colour: this.pick(PERSON_COLOURS) },
        { label: 'bicycle', dx: 0, dy: bikeTop, width: bikeWidth, height, colour },
      ],
    };
  }

  /** x of a box's middle just outside the frame on the side it enters from (dir 1: the left). */
  entryX(width: number, dir: 1 | -1): number {
    return dir === 1 ? -width / 2 : this.frame.width + width / 2;
  }

  /**
   * One track's traffic: objects across the whole width at constant speeds, entering one after another so that
   * none catches up with the one ahead unless the track allows passing (their gap changes linearly while both are
   * in frame, so checking it when the follower enters and when the leader leaves suffices). `gapScale` scales
   * the gaps.
   */
  flow(track: Track, gapScale = 1): void {
    const W = this.frame.width;
    const gy = this.Y(track.ground);
    let prev: { t0: number; v: number; w: number } | undefined;
    let t = this.window[0] + this.rng() * 1.5;
    const weights = track.mix.reduce((sum, m) => sum + m.weight, 0);
    for (;;) {
      let r = this.rng() * weights;
      const spec = track.mix.find((m) => (r -= m.weight) < 0) ?? track.mix[0]!;
      const look = this.look(spec.kind, spec.height, track.dir, track.colours);
      const v = this.uniform(spec.speed) * this.sx;
      const gap = this.uniform(track.gap) * this.sx * gapScale;
      let t0 = t;
      if (prev) {
        t0 = Math.max(t0, prev.t0 + (prev.w + gap) / prev.v);
        if (!track.passing) t0 = Math.max(t0, prev.t0 + (W + prev.w) / prev.v - (W - gap) / v);
      }
      t0 = round3(t0);
      const t1 = round3(t0 + (W + look.width) / v);
      if (t1 > this.window[1]) break;
      this.drafts.push({
        look, role: track.name.includes('walk') ? 'walk' : 'lane', layer: track.layer, track: track.name,
        ground: [[t0, this.entryX(look.width, track.dir), gy], [t1, this.entryX(look.width, track.dir === 1 ? -1 : 1), gy]],
      });
      prev = { t0, v, w: look.width };
      t = t0;
    }
  }

  /** Objects of a track still on their straight path, in entry order. */
  plain(track: string, kind?: Kind): Draft[] {
    return this.drafts.filter((d) => d.track === track && d.ground.length === 2 && (!kind || d.look.kind === kind));
  }

  /** The first plain object of a track entering from `fromT` on for which `fits` holds. */
  find(track: string, fromT: number, fits: (d: Draft) => boolean = () => true, kind?: Kind): Draft | undefined {
    return this.plain(track, kind).find((d) => d.ground[0]![0] >= fromT && fits(d));
  }

  /** When a plain object's middle passes x. */
  static timeAtX(d: Draft, x: number): number {
    const [[t0, x0], [t1, x1]] = d.ground as [GroundKey, GroundKey];
    return round3(t0 + ((x - x0) / (x1 - x0)) * (t1 - t0));
  }

  static speed(d: Draft): number {
    const [[t0, x0], [t1, x1]] = d.ground as [GroundKey, GroundKey];
    return Math.abs(x1 - x0) / (t1 - t0);
  }

  remove(d: Draft): void {
    this.drafts.splice(this.drafts.indexOf(d), 1);
  }

  /** Vertical speed for a turn at `share` of the object's speed along its lane. */
  private turnSpeed(d: Draft, share = 0.6): number {
    return (Schedule.speed(d) / this.sx) * this.sy * share;
  }

  /** Comes in from a side street (vertically, from `fromY`, a ground y just past the frame edge) and drives on along its lane from x. */
  turnIn(d: Draft, x: number, fromY: number): void {
    const tTurn = Schedule.timeAtX(d, x);
    const gy = d.ground[0]![2];
    d.ground = [[round3(tTurn - Math.abs(gy - fromY) / this.turnSpeed(d)), x, fromY], [tTurn, x, gy], d.ground[1]!];
    d.role = 'turn';
  }

  /** Drives along its lane to x, then leaves by a side street (vertically, to `toY` past the frame edge). */
  turnOut(d: Draft, x: number, toY: number): void {
    const tTurn = Schedule.timeAtX(d, x);
    const gy = d.ground[0]![2];
    d.ground = [d.ground[0]!, [tTurn, x, gy], [round3(tTurn + Math.abs(toY - gy) / this.turnSpeed(d)), x, toY]];
    d.role = 'turn';
  }

  /**
   * Pulls over diagonally from its lane to ground line `standY`, with its middle at `spotX`, once the spot is free
   * (`arriveAfter`); stands at least `standSeconds`; pulls out again into the slot of a later object of its lane
   * (which is dropped), so that the lane's spacing holds on both sides. Returns when it starts to pull out, or
   * undefined if it cannot.
   */
  stop(d: Draft, spotX: number, standY: number, standSeconds: number, arriveAfter: number): number | undefined {
    const laneY = d.ground[0]![2];
    const pull = Math.sign(d.ground[1]![1] - d.ground[0]![1]) * this.X(180);
    // pulling over and out at half speed
    const pullTime = (n: Draft): number => Math.abs(pull) / (0.5 * Schedule.speed(n));
    const tLeave = Schedule.timeAtX(d, spotX - pull);
    const tArrive = round3(tLeave + pullTime(d));
    if (tArrive < arriveAfter) return undefined;
    const joinX = spotX + pull;
    const next = this.plain(d.track, d.look.kind)
      .find((n) => n !== d && n.look.height === d.look.height && Schedule.timeAtX(n, joinX) - pullTime(n) >= tArrive + standSeconds);
    if (!next) return undefined;
    const tJoin = Schedule.timeAtX(next, joinX);
    const tGo = round3(tJoin - pullTime(next));
    d.ground = [d.ground[0]!, [tLeave, spotX - pull, laneY], [tArrive, spotX, standY], [tGo, spotX, standY], [tJoin, joinX, laneY], next.ground[1]!];
    d.role = 'stop';
    d.layer = STOPPER_LAYER;
    this.remove(next);
    return tGo;
  }

  /** Walks along the far pavement to the zebra, waits at the kerb, crosses and walks out of the bottom of the picture. */
  crossDown(d: Draft, x: number, waitSeconds: number, speed: number): void {
    const tKerb = Schedule.timeAtX(d, x);
    const from = d.ground[0]![2];
    const to = this.frame.height + d.look.height;
    const tGo = round3(tKerb + waitSeconds);
    d.ground = [d.ground[0]!, [tKerb, x, from], [tGo, x, from], [round3(tGo + (to - from) / speed), x, to]];
    d.role = 'cross';
    d.layer = CROSSER_LAYER;
  }

  /**
   * Comes up from the bottom of the picture, crosses to the centre line, waits there, crosses on and walks along
   * the far pavement in the slot of a walker there (who is dropped). Returns false if none fits.
   */
  crossUp(x: number, fromT: number, waitSeconds: number, speed: number): boolean {
    const track = TRACKS.find((t) => t.name === 'far-walk-left')!;
    const refuge = this.Y(GROUND.refuge);
    const farY = this.Y(track.ground);
    const fits = (slot: Draft): { start: number; tWait: number; tGo: number; tJoin: number } | undefined => {
      const start = this.frame.height + slot.look.height;
      const tJoin = Schedule.timeAtX(slot, x);
      const tGo = round3(tJoin - (refuge - farY) / speed);
      const tWait = round3(tGo - waitSeconds);
      return tWait - (start - refuge) / speed >= Math.max(fromT, this.window[0]) ? { start, tWait, tGo, tJoin } : undefined;
    };
    const slot = this.find(track.name, 0, (n) => fits(n) !== undefined);
    if (!slot) return false;
    const { start, tWait, tGo, tJoin } = fits(slot)!;
    this.drafts.push({
      look: slot.look, role: 'cross', layer: CROSSER_LAYER, track: 'crossing',
      ground: [[round3(tWait - (start - refuge) / speed), x, start], [tWait, x, refuge], [tGo, x, refuge], [tJoin, x, farY], slot.ground[1]!],
    });
    this.remove(slot);
    return true;
  }

  /** A rider faster than the two-wheeler lane, overtaking everything in it. */
  overtaker(t0: number, speedDesign: number): boolean {
    const lane = TRACKS.find((t) => t.name === 'lane4')!;
    const look = this.look('rider', lane.mix[0]!.height, 1, lane.colours);
    const t1 = round3(t0 + (this.frame.width + look.width) / (speedDesign * this.sx));
    if (t1 > this.window[1]) return false;
    const laneY = this.Y(lane.ground);
    const d: Draft = { look, role: 'overtake', layer: lane.layer, track: 'lane4-fast', ground: [[t0, this.entryX(look.width, 1), laneY], [t1, this.entryX(look.width, -1), laneY]] };
    this.swerve(d, this.drafts.filter((o) => o.track === 'lane4'));
    this.drafts.push(d);
    return true;
  }

  /**
   * Moves `d` SWERVE px up the picture while it would run into any of `others` on its lane's ground line (found
   * by sampling every 20 ms, with 30 px to spare), easing over 0.6 s: exact keyframes, at every original one and
   * at each ease's ends.
   */
  private swerve(d: Draft, others: readonly Draft[]): void {
    const laneY = this.Y(GROUND.lane4);
    const margin = this.X(30);
    const ease = 0.6;
    const [t0, t1] = [d.ground[0]![0], d.ground.at(-1)![0]];
    const blocked: Interval[] = [];
    for (let t = t0; t <= t1; t += 0.02) {
      const me = groundAt(d.ground, t);
      if (!me || me[1] !== laneY) continue;
      const hit = others.some((o) => {
        if (o === d) return false;
        const at = groundAt(o.ground, t);
        return at !== undefined && Math.abs(at[1] - laneY) < 4 && Math.abs(at[0] - me[0]) < (o.look.width + d.look.width) / 2 + margin;
      });
      const last = blocked.at(-1);
      if (hit && last && t - last[1] < 2 * ease + 0.2) last[1] = t;
      else if (hit) blocked.push([t, t]);
    }
    if (!blocked.length) return;
    const dy = this.Y(SWERVE);
    // how far over it is at t: 0 in its lane, 1 swerved
    const over = (t: number): number => {
      let w = 0;
      for (const [a, b] of blocked) {
        if (t >= a && t <= b) w = 1;
        else if (t > a - ease && t < a) w = Math.max(w, (t - (a - ease)) / ease);
        else if (t > b && t < b + ease) w = Math.max(w, (b + ease - t) / ease);
      }
      return w;
    };
    const times = new Set(d.ground.map(([t]) => t));
    for (const [a, b] of blocked) for (const t of [a - ease, a, b, b + ease]) if (t > t0 && t < t1) times.add(round3(t));
    d.ground = [...times].sort((p, q) => p - q).map((t): GroundKey => {
      const [x, y] = groundAt(d.ground, t)!;
      return [t, Math.round(x), Math.round(y - dy * over(t))];
    });
  }

  /**
   * Drops walkers until no more than `max` objects are in view at any moment (checked every 0.1 s): each time,
   * of the walkers in view at the busiest moment, the one in view longest where it is crowded and least where
   * the street is still filling or emptying (fewer than `min` in view). Dropping only widens the gaps on a
   * pavement, so the flows stay valid.
   */
  thin(max: number, min: number): void {
    const step = 0.1;
    const n = Math.ceil(this.loopSeconds / step);
    const spans = new Map<Draft, Interval>();
    for (const d of this.drafts) {
      const [span] = frameIntervals(boxPath(d), d.look, this.frame).inFrame;
      if (span) spans.set(d, span);
    }
    const count = new Array<number>(n).fill(0);
    const each = (span: Interval, f: (i: number) => void): void => {
      for (let i = Math.ceil(span[0] / step); i * step <= span[1] && i < n; i++) f(i);
    };
    for (const span of spans.values()) each(span, (i) => (count[i]! += 1));
    for (;;) {
      const peak = count.reduce((best, c, i) => (c > count[best]! ? i : best), 0);
      if (count[peak]! <= max) return;
      let victim: Draft | undefined;
      let best = -Infinity;
      for (const [d, span] of spans) {
        if (d.role !== 'walk' || peak * step < span[0] || peak * step > span[1]) continue;
        let score = 0;
        each(span, (i) => (score += count[i]! > max ? 1 : count[i]! <= min ? -3 : 0));
        if (score > best) [victim, best] = [d, score];
      }
      if (!victim) return;
      each(spans.get(victim)!, (i) => (count[i]! -= 1));
      spans.delete(victim);
      this.remove(victim);
    }
  }
}

const LABEL_OF: Record<Kind, ObjectLabel> = { car: 'car', rider: 'bicycle', bicycle: 'bicycle', person: 'person' };

/**
 * The street scene's objects for a loop length and main-stream size: the same seed gives the same scene.
 * Everything enters after the loop starts and has left before it ends, so the street fills over the first
 * ~10 s and empties over the last ~10 s; speeds do not depend on the loop length.
 */
export function streetObjects(loopSeconds: number, frame: Frame, seed = STREET_SEED): StreetObject[] {
  const s = new Schedule(loopSeconds, frame, seed);
  const L = loopSeconds;
  const [start, end] = s.window;
  // walkers, slow to fill the pavement, start close together; some are dropped later (thin)
  for (const track of TRACKS) s.flow(track, track.name.includes('walk') ? WALKER_GAP_SCALE : 1);

  // stoppers first: they need plain lane objects on both sides of their stand. Cars of lane 2 pull over into
  // the kerb lane: two stand in spot a one after the other, one in spot b most of the loop (60 s loop: ~18, ~36,
  // ~18 s). Each stands at least as long as asked, until a slot in its lane comes by; a short loop may have room
  // for fewer.
  const stopY = s.Y(GROUND.lane1);
  const stoppers: { spot: keyof typeof SPOTS; stand: number; colour: string }[] = [
    { spot: 'a', stand: (18 / 60) * L, colour: 'white' },
    { spot: 'b', stand: (35 / 60) * L, colour: 'grey' },
    { spot: 'a', stand: (18 / 60) * L, colour: 'white' },
  ];
  const spotFreeAt: Record<keyof typeof SPOTS, number> = { a: 0, b: 0 };
  for (const stopper of stoppers) {
    for (const d of s.plain('lane2')) {
      // the next one may pull in while this one drives off
      const left = s.stop(d, s.X(SPOTS[stopper.spot]) + d.look.width / 2, stopY, stopper.stand, spotFreeAt[stopper.spot] + 1.5);
      if (left === undefined) continue;
      // the colours the detector sees best: a dwell test needs the stopped car seen throughout
      d.look.colour = stopper.colour;
      spotFreeAt[stopper.spot] = left;
      break;
    }
  }

  // turns: into and out of the side streets
  const topStreetX = s.X(TOP_STREET_X);
  const bottomStreetX = s.X(BOTTOM_STREET_X);
  const below = (d: Draft): number => frame.height + d.look.height;
  const startsAfter = (seconds: number, x: number) => (d: Draft): boolean => Schedule.timeAtX(d, x) - seconds > start;
  const turn = (track: string, at: number, how: (d: Draft) => void, fits?: (d: Draft) => boolean): void => {
    const d = s.find(track, at * L, fits, track === 'lane4' ? 'rider' : undefined);
    if (d) how(d);
  };
  turn('lane2', 0.25, (d) => s.turnIn(d, topStreetX, 0), startsAfter(6, topStreetX));
  turn('lane2', 0.5, (d) => s.turnOut(d, topStreetX, 0));
  turn('lane2', 0.35, (d) => s.turnOut(d, bottomStreetX, below(d)));
  turn('lane3', 0.55, (d) => s.turnOut(d, topStreetX, 0));
  turn('lane4', 0.15, (d) => s.turnIn(d, bottomStreetX, below(d)), startsAfter(5, bottomStreetX));
  turn('lane4', 0.6, (d) => s.turnIn(d, bottomStreetX, below(d)), startsAfter(5, bottomStreetX));

  // pedestrians crossing at the zebra, both ways
  const zebraDown = s.X(ZEBRA.left + 40);
  const zebraUp = s.X(ZEBRA.right - 40);
  const crossSpeed = 58 * s.sy;
  const crossings = Math.max(1, Math.round((3 * L) / 60));
  for (let i = 0; i < crossings; i++) {
    const at = ((i + 0.3) / crossings) * 0.75 * L;
    const walker = s.find('far-walk-right', at, (d) => Schedule.timeAtX(d, zebraDown) + 3 + (frame.height + d.look.height) / crossSpeed < end);
    if (walker) s.crossDown(walker, zebraDown, 1.5 + s.rng(), crossSpeed);
    s.crossUp(zebraUp, at, 1 + s.rng(), crossSpeed);
  }

  // two-wheelers faster than their lane overtake it
  const overtakers = Math.max(1, Math.round((2 * L) / 60));
  for (let i = 0; i < overtakers; i++) s.overtaker(round3(start + 1 + (i / overtakers) * (L - 12)), 720);

  s.thin(MAX_IN_VIEW, FILLING);
  return finish(s.drafts, frame);
}

/** Box paths, frame times, ids and drawing order from the drafts. */
function finish(drafts: Draft[], frame: Frame): StreetObject[] {
  const objects = drafts.map((d): Omit<StreetObject, 'id'> => {
    const path = boxPath(d);
    for (let i = 1; i < path.length; i++) {
      if (!(path[i]![0] > path[i - 1]![0])) throw new Error(`street scene: keyframe times must increase (${JSON.stringify(path)})`);
    }
    const { inFrame, fullyInFrame } = frameIntervals(path, d.look, frame);
    if (inFrame.length !== 1 || fullyInFrame.length !== 1) {
      throw new Error(`street scene: an object must come into frame once (${JSON.stringify({ path, inFrame, fullyInFrame })})`);
    }
    return {
      label: LABEL_OF[d.look.kind],
      riders: d.look.kind === 'rider' ? 1 : 0,
      path,
      width: d.look.width,
      height: d.look.height,
      inFrame: inFrame[0]!,
      fullyInFrame: fullyInFrame[0]!,
      stops: stopsOf(path),
      role: d.role,
      colour: d.look.colour,
      flipped: d.look.flipped,
      layer: d.layer,
      ...(d.look.parts && { parts: d.look.parts }),
    };
  });
  objects.sort((a, b) => a.inFrame[0] - b.inFrame[0]);
  const counters = new Map<string, number>();
  return objects.map((o) => {
    const n = (counters.get(o.label) ?? 0) + 1;
    counters.set(o.label, n);
    return { id: `${o.label}-${String(n).padStart(2, '0')}`, ...o };
  });
}

// ---------------------------------------------------------------------------------------------
// Drawing

/** The street's scenery as drawbox filters: sky, buildings and the top side street, pavement, lanes, zebra, stopping area. */
export function streetScenery(width: number, height: number): string {
  const sx = (v: number): number => Math.round((v * width) / DESIGN.width);
  const sy = (v: number): number => Math.round((v * height) / DESIGN.height);
  const box = (x: number, y: number, w: number, h: number, color: string, thickness = 'fill'): string =>
    `drawbox=x=${sx(x)}:y=${sy(y)}:w=${sx(w)}:h=${sy(h)}:color=${color}:t=${thickness}`;
  const road = '0x6b6b6b';
  const street = TOP_STREET.right - TOP_STREET.left;
  const dashes = (y: number): string[] => [0, 160, 320, 480, 640, 800, 960, 1120].map((x) => box(x + 20, y, 90, 5, 'white'));
  const parts = [
    box(0, 0, 1280, 36, '0x9fb3c4'),
    // shops, with the top side street between them
    box(0, 36, 300, 84, '0x7a6352'),
    box(300, 36, 260, 84, '0x8c7b6b'),
    box(560, 36, TOP_STREET.left - 560, 84, '0x6e5a4a'),
    box(TOP_STREET.left, 36, street, 30, '0x9fb3c4'),
    box(TOP_STREET.left, 66, street, 132, road),
    ...[30, 130, 230, 330, 430, 530, 630, 730, 830, 930].flatMap((x) => [box(x, 46, 50, 26, '0x3a3f47'), box(x, 84, 50, 26, '0x3a3f47')]),
    // far pavement and kerb, cut by the side street
    box(0, 120, TOP_STREET.left, 72, '0xa8a8a0'),
    box(0, 192, TOP_STREET.left, 6, '0xd0d0c8'),
    // lane marks: dashed white, the double yellow centre line, dashed white
    ...dashes(GROUND.lane1 + 2),
    box(0, GROUND.lane2 + 2, 1280, 3, '0xe0c020'),
    box(0, GROUND.lane2 + 8, 1280, 3, '0xe0c020'),
    ...dashes(GROUND.lane3 + 3),
    // zebra crossing: bars along the road, across its width
    ...[206, 248, 290, 332, 374, 416, 458, 500, 542, 584, 626, 668, 710].map((y) => box(ZEBRA.left, y, ZEBRA.right - ZEBRA.left, 21, '0xe8e8e0')),
    // the stopping area in the kerb lane
    box(STOP_AREA.left, 200, STOP_AREA.right - STOP_AREA.left, 120, '0xe0c020', '3'),
  ];
  return parts.join(',');
}

/** ffmpeg expression: the value at t, linear between keyframes `[t, v]` (held after the last). */
export function piecewiseLinear(keys: readonly (readonly [number, number])[]): string {
  let expr = String(keys.at(-1)![1]);
  for (let i = keys.length - 2; i >= 0; i--) {
    const [t0, v0] = keys[i]!;
    const [t1, v1] = keys[i + 1]!;
    const step = v0 === v1 ? String(v0) : `(${v0})+(${v1 - v0})*(t-${t0})/${round3(t1 - t0)}`;
    expr = `if(lt(t,${t1}),${step},${expr})`;
  }
  return expr;
}

/**
 * The overlays that draw the objects over `base`, in layer order. Each distinct cut-out (source, size, mirror,
 * tint) is cropped, scaled and tinted once per frame and split to every object that shows it.
 */
export function streetOverlays(
  objects: readonly StreetObject[],
  o: { base: string; firstInput: number; mediaDir: string; fps: number },
): { inputs: string[]; chains: string[]; last: string } {
  interface Draw {
    variant: string;
    dx: number;
    dy: number;
    object: StreetObject;
  }
  const draws: Draw[] = [];
  const variants = new Map<string, { cut: Cutout; width: number; height: number; flipped: boolean; tint: string | undefined; uses: number }>();
  const use = (label: ObjectLabel, width: number, height: number, flipped: boolean, colour: string): string => {
    const tint = TINTS[`${label}/${colour}`];
    const key = `${label}-${width}x${height}${flipped ? '-flip' : ''}${tint ? `-${colour}` : ''}`;
    const v = variants.get(key) ?? { cut: CUTOUTS_BY_LABEL[label], width, height, flipped, tint, uses: 0 };
    v.uses += 1;
    variants.set(key, v);
    return key;
  };
  const ordered = [...objects].sort((a, b) => a.layer - b.layer || a.inFrame[0] - b.inFrame[0]);
  for (const object of ordered) {
    if (object.parts) {
      for (const part of object.parts) {
        draws.push({ variant: use(part.label, part.width, part.height, object.flipped, part.colour), dx: part.dx, dy: part.dy, object });
      }
    } else {
      draws.push({ variant: use(object.label, object.width, object.height, object.flipped, object.colour), dx: 0, dy: 0, object });
    }
  }
  const sources = [...new Set([...variants.values()].map((v) => v.cut.source))];
  const inputs = sources.flatMap((source) => ['-framerate', String(o.fps), '-loop', '1', '-i', `${o.mediaDir}/${source}`]);
  const chains: string[] = [];
  const pads = new Map<string, string[]>();
  [...variants.entries()].forEach(([key, v], i) => {
    const { x, y, width, height } = v.cut.crop;
    const labels = Array.from({ length: v.uses }, (_, k) => `v${i}u${k}`);
    pads.set(key, labels);
    const filters = [
      `crop=${width}:${height}:${x}:${y}`,
      `scale=${v.width}:${v.height}`,
      ...(v.flipped ? ['hflip'] : []),
      ...(v.tint ? [v.tint] : []),
      'setsar=1',
      ...(v.uses > 1 ? [`split=${v.uses}`] : []),
    ];
    chains.push(`[${o.firstInput + sources.indexOf(v.cut.source)}]${filters.join(',')}${labels.map((l) => `[${l}]`).join('')}`);
  });
  let last = o.base;
  draws.forEach((draw, i) => {
    const pad = pads.get(draw.variant)!.shift()!;
    const { path } = draw.object;
    const x = piecewiseLinear(path.map(([t, px]) => [t, px + draw.dx] as const));
    const y = piecewiseLinear(path.map(([t, , py]) => [t, py + draw.dy] as const));
    const [from, to] = [path[0]![0], path.at(-1)![0]];
    chains.push(`[${last}][${pad}]overlay=x='${x}':y='${y}':enable='between(t,${from},${to})'[st${i}]`);
    last = `st${i}`;
  });
  return { inputs, chains, last };
}
