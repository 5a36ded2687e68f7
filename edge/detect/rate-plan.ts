// Overload policy: when the cameras want more inferences than the detector gives, each busy camera's detect rate is
// lowered fairly (max-min: nobody is held below another's rate unless it asks for less), and the frames over its
// rate are skipped by plan rather than lost in the queue. Pure: the detection service feeds it figures and a clock.

export interface CameraDemand {
  camera: string;
  /** frames per second this camera wants detected now (motion or a live track), measured */
  wantFps: number;
}

export interface RatePlanOptions {
  /** inferences per second the detector can give now (capacityPerSecond) */
  capacityPerS: number;
}

/**
 * Max-min fair shares ("water filling"): cameras asking for less than an equal share get what they ask; what they
 * leave is shared equally by the rest. Returns each camera's rate limit in frames/s, or null for "no limit" (the
 * camera asks for less than its share: skipping its frames would buy nobody anything).
 * Property: no camera's limit is below another's unless it asks for less than that one's limit.
 */
export function planRates(demands: readonly CameraDemand[], { capacityPerS }: RatePlanOptions): Map<string, number | null> {
  const plan = new Map<string, number | null>();
  const total = demands.reduce((n, d) => n + Math.max(0, d.wantFps), 0);
  if (total <= capacityPerS) {
    for (const d of demands) plan.set(d.camera, null);
    return plan;
  }
  const sorted = [...demands].sort((a, b) => a.wantFps - b.wantFps);
  let left = Math.max(0, capacityPerS);
  for (let i = 0; i < sorted.length; i++) {
    const d = sorted[i]!;
    const share = left / (sorted.length - i);
    if (d.wantFps <= share) {
      plan.set(d.camera, null);
      left -= Math.max(0, d.wantFps);
    } else {
      // this and every camera after it (they all want at least as much) get the equal share
      for (const rest of sorted.slice(i)) plan.set(rest.camera, share);
      break;
    }
  }
  return plan;
}

/**
 * Inferences per second the detector gives: its sessions over the mean time one inference took lately (letterbox,
 * run and decode, which grow when the box's other work takes the cores), less a margin so that a queue never forms
 * — a frame waiting is a frame that ends up lost.
 */
export function capacityPerSecond(sessions: number, msPerInference: number, margin = 0.9): number {
  if (!(msPerInference > 0)) return Infinity;
  return (sessions * 1000 * margin) / msPerInference;
}

/**
 * One camera's planned skips: a credit that grows with time at the camera's rate and pays one frame per frame taken.
 * After a quiet spell (no frame wanting the detector for two of its intervals) the credit starts again at one frame,
 * so a camera that was quiet does not burst.
 */
export class FrameGate {
  private credit = 1;
  private lastMs: number | undefined;
  private limitFps: number | null = null;

  /** frames/s, or null: every frame goes */
  setLimit(fps: number | null): void {
    this.limitFps = fps === null ? null : Math.max(0, fps);
  }

  get limit(): number | null {
    return this.limitFps;
  }

  /** Whether the frame taken at `timestampMs` goes to the detector (true) or is skipped by plan (false). */
  take(timestampMs: number): boolean {
    const since = this.lastMs === undefined ? Infinity : Math.max(0, timestampMs - this.lastMs);
    this.lastMs = timestampMs;
    const limit = this.limitFps;
    if (limit === null) {
      this.credit = 1;
      return true;
    }
    const intervalMs = limit > 0 ? 1000 / limit : Infinity;
    if (since === Infinity || since > 2 * intervalMs) this.credit = 1;
    else this.credit = Math.min(2, this.credit + (limit * since) / 1000);
    // frame times jitter around their interval: a frame up to a tenth of an interval early still pays (the credit
    // goes a little below zero, and the next frame makes up for it)
    if (this.credit >= 0.9) {
      this.credit -= 1;
      return true;
    }
    return false;
  }
}

export interface PlannerTick {
  nowMs: number;
  /** the detector's cumulative inferences and the time they took (letterbox + run + decode), in ms */
  inferences: number;
  busyMs: number;
  /** each camera's cumulative count of frames that wanted the detector */
  wanted: readonly { camera: string; count: number }[];
  /** cumulative frames lost (replaced while waiting for the detector), all cameras */
  lost?: number;
}

export interface PlannerState {
  capacityPerS: number;
  /** the share of the measured capacity the plan hands out, lowered while frames are lost */
  margin: number;
  demand: Map<string, number>;
  limits: Map<string, number | null>;
}

/** How fast the planner follows a change: the weight of the newest second in its running means. */
const FOLLOW = 0.3;
/**
 * The share of the measured capacity handed out: 0.9 while no frame is lost. A second with frames lost (the measured
 * cost was optimistic: bursts, or other work taking the cores between inferences) takes a tenth off, down to half;
 * each second without loss gives back 0.01.
 */
const MARGIN = { max: 0.9, min: 0.5, cut: 0.9, regain: 0.01 } as const;
/** Fewer inferences than this in a tick say too little about their cost: the last estimate stands. */
const MIN_INFERENCES = 3;

/**
 * The overload plan over time: once a second (or so) it reads cumulative counters, keeps running means of each
 * camera's demand and of an inference's cost, and plans the rates. Pure: every figure comes in with the tick.
 */
export class OverloadPlanner {
  private last: PlannerTick | undefined;
  private msPerInference: number | undefined;
  private margin: number = MARGIN.max;
  private readonly demand = new Map<string, number>();

  constructor(private readonly sessions: number) {}

  tick(t: PlannerTick): PlannerState {
    const prev = this.last;
    this.last = t;
    if (prev !== undefined && t.nowMs > prev.nowMs) {
      const seconds = (t.nowMs - prev.nowMs) / 1000;
      const runs = t.inferences - prev.inferences;
      if (runs >= MIN_INFERENCES) {
        const ms = (t.busyMs - prev.busyMs) / runs;
        this.msPerInference = this.msPerInference === undefined ? ms : this.msPerInference + FOLLOW * (ms - this.msPerInference);
      }
      const lost = (t.lost ?? 0) - (prev.lost ?? 0);
      this.margin = lost > 0 ? Math.max(MARGIN.min, this.margin * MARGIN.cut) : Math.min(MARGIN.max, this.margin + MARGIN.regain);
      for (const w of t.wanted) {
        const before = prev.wanted.find((p) => p.camera === w.camera)?.count ?? w.count;
        const fps = Math.max(0, w.count - before) / seconds;
        const old = this.demand.get(w.camera);
        this.demand.set(w.camera, old === undefined ? fps : old + FOLLOW * (fps - old));
      }
    }
    const capacityPerS = this.msPerInference === undefined ? Infinity : capacityPerSecond(this.sessions, this.msPerInference, this.margin);
    const demands = [...this.demand].map(([camera, wantFps]) => ({ camera, wantFps }));
    return { capacityPerS, margin: this.margin, demand: new Map(this.demand), limits: planRates(demands, { capacityPerS }) };
  }
}
