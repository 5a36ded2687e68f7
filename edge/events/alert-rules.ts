// The alert rules of one camera: confirmed tracks and line crossings → start / update / end of alerts (the incidents). Pure: no clock, no I/O.
import type { z } from 'zod';
import { LABELS, type AlertKind, type Label } from '../../shared/contract/index.js';
import type { cameraSchema } from '../../shared/config/edge.js';
import type { Track } from '../detect/track.js';
import { groundPoint, insidePolygon, normaliseBox, zonesAt, type Box, type Polygon } from '../geometry.js';
import type { EventChange, EventState } from './event-state.js';
import type { Crossing } from './sightings.js';
import { minuteOfDay } from '../../shared/local-time.js';

/** One alert rule of a camera, as edge.yaml gives it (checked there: a dwell rule has a zone and seconds, …). */
export type AlertRule = z.output<typeof cameraSchema>['alerts'][number];

/** An event raised by a rule: the rule travels with it to the hub. */
export type AlertState = EventState & { rule: { id: string; kind: AlertKind } };
export type AlertChange = { type: EventChange['type']; event: AlertState };

export interface AlertRulesOptions {
  camera: string;
  /** size of the detect frames the tracks are measured in */
  width: number;
  height: number;
  zones: readonly { id: string; polygon: Polygon }[];
  lines: readonly { id: string }[];
  rules: readonly AlertRule[];
  /** IANA time zone of the rules' `hours` */
  timeZone: string;
  /** an alert ends this long after its condition last held */
  endAfterMs: number;
  /** updates of one alert are at least this far apart (the hub needs the change, not every frame) */
  updateEveryMs: number;
  newEventId: (nowMs: number) => string;
}

/**
 * A dwell or a crowd is "continuous" across gaps up to this long, the tracker's own patience (its maxAgeMs): frames
 * where the detector missed the object, or its box wobbled out of the zone, do not start the stay again.
 */
export const STAY_GAP_MS = 3000;

/** Top-score rises smaller than this are not news on their own. */
const SCORE_STEP = 0.02;

const round4 = (v: number) => Math.round(v * 10_000) / 10_000;
const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

interface Open {
  event: AlertState;
  /** last time the rule's condition held: the alert ends endAfterMs later, with this as its end */
  heldMs: number;
  /** crowd: objects at the best moment (the snapshot); 1 for an alert of one track */
  size: number;
  lastSentMs: number;
  sentTopScore: number;
  sentZones: number;
  sentSize: number;
}

/** Since when a condition has held, allowing gaps up to STAY_GAP_MS. */
interface Stay {
  since: number;
  lastMs: number;
}

interface Watch {
  rule: AlertRule;
  labels: ReadonlySet<string> | undefined;
  /** the rule's zone polygon (presence, dwell, crowd) */
  polygon: Polygon | undefined;
  /** local minutes of the day [from, to) the rule may raise alerts in; undefined: all day */
  hours: { from: number; to: number } | undefined;
  /** open alerts by track (presence, dwell, wrong-way) */
  byTrack: Map<number, Open>;
  /** dwell: tracks in the zone and since when */
  stays: Map<number, Stay>;
  /** crowd: since when there have been enough objects in the zone, and its alert */
  crowd: Stay | undefined;
  crowdOpen: Open | undefined;
}

/** One per camera. */
export class AlertRules {
  private readonly camera: string;
  private readonly width: number;
  private readonly height: number;
  private readonly zones: readonly { id: string; polygon: Polygon }[];
  private readonly watches: Watch[];
  private readonly endAfterMs: number;
  private readonly updateEveryMs: number;
  private readonly newEventId: (nowMs: number) => string;
  private readonly timeZone: string;
  private localMinute: { at: number; minutes: number } | undefined;

  constructor({ camera, width, height, zones, lines, rules, timeZone, endAfterMs, updateEveryMs, newEventId }: AlertRulesOptions) {
    this.camera = camera;
    this.width = width;
    this.height = height;
    this.zones = zones;
    this.endAfterMs = endAfterMs;
    this.updateEveryMs = updateEveryMs;
    this.newEventId = newEventId;
    this.timeZone = timeZone;
    const lineIds = new Set(lines.map((l) => l.id));
    this.watches = [];
    for (const rule of rules) {
      const polygon = zones.find((z) => z.id === rule.zone)?.polygon;
      // edge.yaml is checked before it gets here; a rule whose zone or line is missing anyway never fires
      if (rule.kind === 'wrong-way' ? !lineIds.has(rule.line ?? '') : polygon === undefined) continue;
      this.watches.push({
        rule,
        labels: rule.labels === undefined ? undefined : new Set(rule.labels),
        polygon,
        hours: rule.hours === undefined ? undefined : { from: minutesOf(rule.hours.from), to: minutesOf(rule.hours.to) },
        byTrack: new Map(),
        stays: new Map(),
        crowd: undefined,
        crowdOpen: undefined,
      });
    }
  }

  /** Alerts open now (for status and shutdown). */
  openAlerts(): AlertState[] {
    return this.watches.flatMap((w) => [...w.byTrack.values(), ...(w.crowdOpen ? [w.crowdOpen] : [])]).map((o) => copy(o.event));
  }

  /** The tracker's live tracks after a detected frame at `nowMs`, and the line crossings the sighting book found in it. */
  observe(tracks: readonly Track[], crossings: readonly Crossing[], nowMs: number): AlertChange[] {
    const changes: AlertChange[] = [];
    // a moving track's coasting box is the tracker's guess: it is in no zone and refreshes no alert. A stationary
    // one's is where it stands (the tracker holds it still): a stopped car the detector misses for a few frames is
    // still there, and its dwell must not start again
    const seen = tracks.filter((t) => t.confirmed && (t.misses === 0 || t.stationary));
    const byId = new Map(seen.map((t) => [t.id, t]));
    const ground = new Map(seen.map((t) => [t.id, groundPoint(t.box, this.width, this.height)]));
    const inZone = (w: Watch, t: Track) => {
      const p = ground.get(t.id)!;
      return w.polygon !== undefined && insidePolygon(w.polygon, p[0], p[1]);
    };
    for (const w of this.watches) {
      const { rule } = w;
      const mine = seen.filter((t) => w.labels === undefined || w.labels.has(t.label));
      switch (rule.kind) {
        case 'presence':
          for (const t of mine) {
            if (!inZone(w, t)) continue;
            const o = w.byTrack.get(t.id) ?? (this.inHours(w, nowMs) ? this.begin(w, t, nowMs, nowMs, changes) : undefined);
            if (o) o.heldMs = nowMs;
          }
          break;
        case 'dwell': {
          const needMs = (rule.seconds ?? 0) * 1000;
          for (const t of mine) {
            if (!inZone(w, t)) continue;
            let stay = w.stays.get(t.id);
            if (stay === undefined || nowMs - stay.lastMs > STAY_GAP_MS) w.stays.set(t.id, (stay = { since: nowMs, lastMs: nowMs }));
            stay.lastMs = nowMs;
            // the alert starts when the object arrived, so the clip's pre-roll shows it arriving
            const o = w.byTrack.get(t.id) ?? (nowMs - stay.since >= needMs && this.inHours(w, nowMs) ? this.begin(w, t, stay.since, nowMs, changes) : undefined);
            if (o) o.heldMs = nowMs;
          }
          for (const [id, stay] of w.stays) if (nowMs - stay.lastMs > STAY_GAP_MS && !w.byTrack.has(id)) w.stays.delete(id);
          break;
        }
        case 'wrong-way':
          for (const c of crossings) {
            if (c.line !== rule.line || c.direction !== rule.direction || (w.labels !== undefined && !w.labels.has(c.label))) continue;
            const t = byId.get(c.trackId);
            if (t !== undefined && !w.byTrack.has(t.id) && this.inHours(w, nowMs)) this.begin(w, t, Math.min(c.at, nowMs), nowMs, changes);
          }
          // a short alert: it lasts while the offender is in view
          for (const [id, o] of w.byTrack) if (byId.has(id)) o.heldMs = nowMs;
          break;
        case 'crowd':
          this.crowd(w, mine.filter((t) => inZone(w, t)), nowMs, changes);
          break;
      }
      for (const [id, o] of w.byTrack) {
        const t = byId.get(id);
        if (t !== undefined) this.refresh(o, t, nowMs, changes);
      }
    }
    changes.push(...this.tick(nowMs));
    return changes;
  }

  /** Ends alerts whose condition stopped holding endAfterMs ago; call on every frame, detected or not. */
  tick(nowMs: number): AlertChange[] {
    const changes: AlertChange[] = [];
    for (const w of this.watches) {
      for (const [id, o] of w.byTrack) {
        if (nowMs - o.heldMs < this.endAfterMs) continue;
        w.byTrack.delete(id);
        w.stays.delete(id);
        changes.push(ended(o));
      }
      if (w.crowdOpen !== undefined && nowMs - w.crowdOpen.heldMs >= this.endAfterMs) {
        changes.push(ended(w.crowdOpen));
        w.crowdOpen = undefined;
        w.crowd = undefined;
      }
    }
    return changes;
  }

  /** Ends every open alert now (the camera or the box stops). */
  endAll(): AlertChange[] {
    const changes: AlertChange[] = [];
    for (const w of this.watches) {
      for (const o of w.byTrack.values()) changes.push(ended(o));
      if (w.crowdOpen !== undefined) changes.push(ended(w.crowdOpen));
      w.byTrack.clear();
      w.stays.clear();
      w.crowd = undefined;
      w.crowdOpen = undefined;
    }
    return changes;
  }

  /** Whether the rule may raise an alert now: its hours, local time; `to` before `from` spans midnight. */
  private inHours(w: Watch, nowMs: number): boolean {
    if (w.hours === undefined) return true;
    const { from, to } = w.hours;
    if (from === to) return true;
    const m = this.minutesOfDay(nowMs);
    return from < to ? m >= from && m < to : m >= from || m < to;
  }

  private minutesOfDay(nowMs: number): number {
    const at = Math.floor(nowMs / 60_000);
    if (this.localMinute?.at !== at) {
      this.localMinute = { at, minutes: minuteOfDay(nowMs, this.timeZone) };
    }
    return this.localMinute.minutes;
  }

  private begin(w: Watch, t: Track, start: number, nowMs: number, changes: AlertChange[]): Open {
    const event: AlertState = {
      id: this.newEventId(nowMs),
      camera: this.camera,
      label: t.label,
      score: round4(t.score),
      topScore: round4(t.bestScore),
      box: normaliseBox(t.bestBox, this.width, this.height),
      bestAtMs: t.bestAtMs,
      zones: zonesAt(this.zones, groundPoint(t.box, this.width, this.height)),
      start,
      lastSeenMs: nowMs,
      end: null,
      rule: { id: w.rule.id, kind: w.rule.kind },
    };
    const o: Open = { event, heldMs: nowMs, size: 1, lastSentMs: nowMs, sentTopScore: event.topScore, sentZones: event.zones.length, sentSize: 1 };
    w.byTrack.set(t.id, o);
    changes.push({ type: 'start', event: copy(event) });
    return o;
  }

  /** The alert's object seen again: its best moment so far (where the snapshot is taken) and the zones it has been in. */
  private refresh(o: Open, t: Track, nowMs: number, changes: AlertChange[]): void {
    const ev = o.event;
    ev.score = round4(t.score);
    ev.lastSeenMs = nowMs;
    if (round4(t.bestScore) > ev.topScore) {
      ev.topScore = round4(t.bestScore);
      ev.box = normaliseBox(t.bestBox, this.width, this.height);
      ev.bestAtMs = t.bestAtMs;
    }
    for (const z of zonesAt(this.zones, groundPoint(t.box, this.width, this.height))) if (!ev.zones.includes(z)) ev.zones.push(z);
    this.maybeUpdate(o, nowMs, changes);
  }

  /** Enough objects in the zone for long enough: one alert for the crowd, its snapshot where it was largest. */
  private crowd(w: Watch, members: readonly Track[], nowMs: number, changes: AlertChange[]): void {
    const { rule } = w;
    if (members.length < (rule.count ?? Infinity)) return;
    if (w.crowd === undefined || nowMs - w.crowd.lastMs > STAY_GAP_MS) w.crowd = { since: nowMs, lastMs: nowMs };
    w.crowd.lastMs = nowMs;
    const score = round4(members.reduce((s, t) => s + t.score, 0) / members.length);
    const box = normaliseBox(union(members.map((t) => t.box)), this.width, this.height);
    const o = w.crowdOpen;
    if (o !== undefined) {
      o.heldMs = nowMs;
      o.event.score = score;
      o.event.lastSeenMs = nowMs;
      if (members.length > o.size) {
        o.size = members.length;
        o.event.topScore = score;
        o.event.box = box;
        o.event.bestAtMs = nowMs;
      }
      this.maybeUpdate(o, nowMs, changes);
      return;
    }
    if (nowMs - w.crowd.since < (rule.seconds ?? 0) * 1000 || !this.inHours(w, nowMs)) return;
    const event: AlertState = {
      id: this.newEventId(nowMs),
      camera: this.camera,
      label: mostCommon(members.map((t) => t.label)),
      score,
      topScore: score,
      box,
      bestAtMs: nowMs,
      zones: [rule.zone!],
      start: w.crowd.since,
      lastSeenMs: nowMs,
      end: null,
      rule: { id: rule.id, kind: rule.kind },
    };
    w.crowdOpen = { event, heldMs: nowMs, size: members.length, lastSentMs: nowMs, sentTopScore: score, sentZones: 1, sentSize: members.length };
    changes.push({ type: 'start', event: copy(event) });
  }

  private maybeUpdate(o: Open, nowMs: number, changes: AlertChange[]): void {
    const news = o.event.topScore >= o.sentTopScore + SCORE_STEP || o.event.zones.length !== o.sentZones || o.size !== o.sentSize;
    if (!news || nowMs - o.lastSentMs < this.updateEveryMs) return;
    o.lastSentMs = nowMs;
    o.sentTopScore = o.event.topScore;
    o.sentZones = o.event.zones.length;
    o.sentSize = o.size;
    changes.push({ type: 'update', event: copy(o.event) });
  }
}

const copy = (e: AlertState): AlertState => ({ ...e, box: { ...e.box }, zones: [...e.zones], rule: { ...e.rule } });

function ended(o: Open): AlertChange {
  return { type: 'end', event: { ...copy(o.event), end: Math.max(o.event.start, o.heldMs) } };
}

function union(boxes: readonly Box[]): Box {
  const x0 = Math.min(...boxes.map((b) => b.x));
  const y0 = Math.min(...boxes.map((b) => b.y));
  const x1 = Math.max(...boxes.map((b) => b.x + b.w));
  const y1 = Math.max(...boxes.map((b) => b.y + b.h));
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

/** The label most of them have; a tie goes to the one listed first in the contract. */
function mostCommon(labels: readonly Label[]): Label {
  let best: Label = labels[0]!;
  let bestN = 0;
  for (const l of LABELS) {
    const n = labels.filter((x) => x === l).length;
    if (n > bestN) [best, bestN] = [l, n];
  }
  return best;
}
