import { describe, expect, it } from 'vitest';
import { eventSchema, type Label } from '../../shared/contract/index.js';
import type { Track } from '../detect/track.js';
import type { Point } from '../geometry.js';
import { AlertRules, type AlertChange, type AlertRule, type AlertRulesOptions } from './alert-rules.js';
import type { Crossing } from './sightings.js';

const W = 640;
const H = 360;
/** 23:30 on 1 December 2026 in Hồ Chí Minh City (UTC+7) */
const T0 = Date.UTC(2026, 11, 1, 16, 30);
const ZONES = [{ id: 'yard', polygon: [[0, 0.5], [1, 0.5], [1, 1], [0, 1]] as Point[] }];
const LINES = [{ id: 'one-way' }, { id: 'side' }];
const ULID = (n: number) => `01KB${String(n).padStart(22, '0')}`;

/** A track whose ground point is at (gx, gy), normalised: gy > 0.5 is in the yard. */
interface T {
  id: number;
  gy: number;
  gx?: number;
  label?: Label;
  score?: number;
  misses?: number;
  confirmed?: boolean;
  stationary?: boolean;
}

function track(t: T, now: number): Track {
  const box = { x: (t.gx ?? 0.5) * W - 40, y: t.gy * H - 60, w: 80, h: 60 };
  const score = t.score ?? 0.8;
  return {
    id: t.id,
    label: t.label ?? 'car',
    box,
    score,
    bestScore: score,
    bestBox: box,
    bestAtMs: now,
    hits: 5,
    misses: t.misses ?? 0,
    confirmed: t.confirmed ?? true,
    stationary: t.stationary ?? false,
    firstSeenMs: T0 - 60_000,
    lastSeenMs: now,
    velocity: { x: 0, y: 0 },
    riders: 0,
    inferred: false,
  };
}

/** A frame (tracks, and crossings as "trackId direction line") or, with neither, a tick. */
interface Step {
  t: number;
  tracks?: T[];
  crossings?: string[];
}

function run(rules: AlertRule[], steps: readonly Step[], o: Partial<AlertRulesOptions> = {}) {
  let n = 0;
  const alerts = new AlertRules({
    camera: 'cam-01',
    width: W,
    height: H,
    zones: ZONES,
    lines: LINES,
    rules,
    timeZone: 'Asia/Ho_Chi_Minh',
    endAfterMs: 5000,
    updateEveryMs: 2000,
    newEventId: () => ULID(++n),
    ...o,
  });
  /** each change with the time of the step that made it */
  const said: { at: number; change: AlertChange }[] = [];
  for (const s of steps) {
    const tracks = (s.tracks ?? []).map((t) => track(t, s.t));
    const crossings = (s.crossings ?? []).map((c): Crossing => {
      const [id, direction, line] = c.split(' ') as [string, Crossing['direction'], string];
      return { trackId: Number(id), camera: 'cam-01', label: tracks.find((t) => t.id === Number(id))?.label ?? 'car', line, direction, at: s.t - 100 };
    });
    const out = s.tracks === undefined && s.crossings === undefined ? alerts.tick(s.t) : alerts.observe(tracks, crossings, s.t);
    said.push(...out.map((change) => ({ at: s.t, change })));
  }
  const changes = said.map((s) => s.change);
  // every message the hub would get fits the contract
  for (const c of changes) {
    const { id, camera, label, score, topScore, box, zones, start, end, rule } = c.event;
    expect(eventSchema.safeParse({ id, ward: 'p07', camera, label, score, topScore, box, zones, start, end, rule }).error).toBeUndefined();
  }
  return { alerts, changes, said };
}

/**
 * What the hub is told, as "start@1000 e1 rule (from 0)", "update@3000 e1", "end@7000 e1 (to 2000)": when (ms after
 * T0), which alert, and for a start or end the alert's own start or end.
 */
function story(rules: AlertRule[], steps: readonly Step[], o: Partial<AlertRulesOptions> = {}): string[] {
  const ids = new Map<string, number>();
  return run(rules, steps, o).said.map(({ at, change: c }) => {
    if (!ids.has(c.event.id)) ids.set(c.event.id, ids.size + 1);
    const e = `e${ids.get(c.event.id)}`;
    const when = at - T0;
    if (c.type === 'start') return `start@${when} ${e} ${c.event.rule.id} (from ${c.event.start - T0})`;
    if (c.type === 'end') return `end@${when} ${e} (to ${c.event.end! - T0})`;
    return `update@${when} ${e}`;
  });
}

/** Frames every `every` ms from `from` to `to` (ms after T0) with the tracks `at(t)` gives. */
const frames = (from: number, to: number, at: (t: number) => T[], every = 500): Step[] => {
  const out: Step[] = [];
  for (let t = from; t <= to; t += every) out.push({ t: T0 + t, tracks: at(t) });
  return out;
};
const tick = (t: number): Step => ({ t: T0 + t });

describe('presence', () => {
  const NIGHT: AlertRule = { id: 'night-yard', kind: 'presence', zone: 'yard', labels: ['person'], hours: { from: '22:00', to: '05:00' } };
  /** UTC time of a local time on 1–2 December in Hồ Chí Minh City (UTC+7) */
  const local = (hhmm: string) => Date.UTC(2026, 11, hhmm < '12:00' ? 2 : 1, Number(hhmm.slice(0, 2)) - 7, Number(hhmm.slice(3)));

  it.each<[string, boolean]>([
    ['21:59', false],
    ['22:00', true],
    ['23:30', true],
    ['00:00', true],
    ['04:59', true],
    ['05:00', false],
    ['12:00', false],
  ])('hours 22:00–05:00 span midnight: a person in the yard at %s local time → alert: %s', (hhmm, want) => {
    const { changes } = run([NIGHT], [{ t: local(hhmm), tracks: [{ id: 1, gy: 0.8, label: 'person' }] }]);
    expect(changes.map((c) => c.type)).toEqual(want ? ['start'] : []);
  });

  it.each<{ name: string; steps: Step[]; want: string[] }>([
    {
      name: 'one alert per person, ending endAfter after it left the yard',
      steps: [...frames(0, 2000, (t) => [{ id: 1, gy: t <= 1000 ? 0.8 : 0.3, label: 'person' }]), tick(5999), tick(6000)],
      want: ['start@0 e1 night-yard (from 0)', 'end@6000 e1 (to 1000)'],
    },
    {
      name: 'ends endAfter after its track ended in the yard',
      steps: [...frames(0, 1000, () => [{ id: 1, gy: 0.8, label: 'person' }]), { t: T0 + 1500, tracks: [] }, tick(6000)],
      want: ['start@0 e1 night-yard (from 0)', 'end@6000 e1 (to 1000)'],
    },
    {
      name: 'two people: two alerts',
      steps: [...frames(0, 500, () => [{ id: 1, gy: 0.8, label: 'person' }, { id: 2, gy: 0.9, label: 'person' }]), tick(5500)],
      want: ['start@0 e1 night-yard (from 0)', 'start@0 e2 night-yard (from 0)', 'end@5500 e1 (to 500)', 'end@5500 e2 (to 500)'],
    },
    {
      name: 'not for a label the rule does not look at, one outside the zone, an unconfirmed or a coasting track',
      steps: [
        {
          t: T0,
          tracks: [
            { id: 1, gy: 0.8, label: 'car' },
            { id: 2, gy: 0.3, label: 'person' },
            { id: 3, gy: 0.8, label: 'person', confirmed: false },
            { id: 4, gy: 0.8, label: 'person', misses: 1 },
          ],
        },
      ],
      want: [],
    },
    {
      name: 'back in the yard after its alert ended: a new alert',
      steps: [
        ...frames(0, 500, () => [{ id: 1, gy: 0.8, label: 'person' }]),
        ...frames(1000, 6000, () => [{ id: 1, gy: 0.3, label: 'person' }]),
        ...frames(6500, 6500, () => [{ id: 1, gy: 0.8, label: 'person' }]),
      ],
      want: ['start@0 e1 night-yard (from 0)', 'end@5500 e1 (to 500)', 'start@6500 e2 night-yard (from 6500)'],
    },
  ])('$name', ({ steps, want }) => {
    expect(story([NIGHT], steps)).toEqual(want);
  });

  it('an alert raised within its hours runs its course after they end', () => {
    const from = local('04:59') - T0;
    const steps = frames(from, from + 120_000, () => [{ id: 1, gy: 0.8, label: 'person' }], 10_000);
    expect(story([NIGHT], steps).filter((s) => !s.startsWith('update'))).toEqual([`start@${from} e1 night-yard (from ${from})`]);
  });
});

describe('dwell', () => {
  const STOPPED: AlertRule = { id: 'stopped', kind: 'dwell', zone: 'yard', labels: ['car', 'truck'], seconds: 10 };

  it.each<{ name: string; steps: Step[]; want: string[] }>([
    {
      name: 'a car that stays 10 s: alert at 10 s, starting when it arrived',
      steps: [...frames(0, 10_000, () => [{ id: 1, gy: 0.8 }]), ...frames(10_500, 11_000, () => [{ id: 1, gy: 0.3 }]), tick(15_000)],
      want: ['start@10000 e1 stopped (from 0)', 'end@15000 e1 (to 10000)'],
    },
    { name: 'one that stays 9 s: none', steps: [...frames(0, 9000, () => [{ id: 1, gy: 0.8 }]), ...frames(9500, 20_000, () => [{ id: 1, gy: 0.3 }])], want: [] },
    {
      name: 'only the one that stays: the other left after 9 s',
      steps: frames(0, 10_000, (t) => [{ id: 1, gy: 0.8 }, { id: 2, gy: t <= 9000 ? 0.9 : 0.2, gx: 0.2 }]),
      want: ['start@10000 e1 stopped (from 0)'],
    },
    {
      name: 'a frame missed and a frame out of the zone do not restart the stay',
      steps: frames(0, 10_000, (t) => [{ id: 1, gy: t === 6000 ? 0.45 : 0.8, misses: t === 4000 ? 1 : 0 }]),
      want: ['start@10000 e1 stopped (from 0)'],
    },
    {
      name: 'a stopped car the detector misses for 5 s (the tracker holds it, stationary) does not restart the stay',
      steps: frames(0, 10_000, (t) => [{ id: 1, gy: 0.8, stationary: t >= 3000, misses: t > 3000 && t < 8000 ? 1 : 0 }]),
      want: ['start@10000 e1 stopped (from 0)'],
    },
    {
      name: 'a moving car missed for 5 s is not where the tracker guesses: the stay restarts',
      steps: frames(0, 17_000, (t) => [{ id: 1, gy: 0.8, misses: t > 2000 && t < 7000 ? 1 : 0 }]),
      want: ['start@17000 e1 stopped (from 7000)'],
    },
    {
      name: 'out of the zone for more than 3 s restarts it',
      steps: frames(0, 17_000, (t) => [{ id: 1, gy: t > 2000 && t < 6000 ? 0.3 : 0.8 }]),
      want: ['start@16000 e1 stopped (from 6000)'],
    },
    { name: 'not for a person', steps: frames(0, 12_000, () => [{ id: 1, gy: 0.8, label: 'person' }]), want: [] },
    {
      name: 'one alert for a car parked a long time',
      // the detector looks at a camera with live tracks at least every second even with no motion
      steps: frames(0, 300_000, () => [{ id: 1, gy: 0.8 }], 1000),
      want: ['start@10000 e1 stopped (from 0)'],
    },
  ])('$name', ({ steps, want }) => {
    expect(story([STOPPED], steps)).toEqual(want);
  });
});

describe('wrong-way', () => {
  const WRONG: AlertRule = { id: 'wrong-way-pdl', kind: 'wrong-way', line: 'one-way', direction: 'backward', labels: ['car', 'motorcycle'] };

  it.each<{ name: string; steps: Step[]; want: string[] }>([
    {
      name: 'crossing in the forbidden direction: an alert from the crossing, ending endAfter after the offender is gone',
      steps: [{ t: T0, tracks: [{ id: 1, gy: 0.4 }], crossings: ['1 backward one-way'] }, ...frames(500, 2000, () => [{ id: 1, gy: 0.3 }]), { t: T0 + 2500, tracks: [] }, tick(7000)],
      want: ['start@0 e1 wrong-way-pdl (from -100)', 'end@7000 e1 (to 2000)'],
    },
    { name: 'the allowed direction: none', steps: [{ t: T0, tracks: [{ id: 1, gy: 0.4 }], crossings: ['1 forward one-way'] }], want: [] },
    { name: 'another line: none', steps: [{ t: T0, tracks: [{ id: 1, gy: 0.4 }], crossings: ['1 backward side'] }], want: [] },
    { name: 'a label the rule does not look at: none', steps: [{ t: T0, tracks: [{ id: 1, gy: 0.4, label: 'person' }], crossings: ['1 backward one-way'] }], want: [] },
    {
      name: 'crossing again while its alert is open: still one alert; two offenders: two',
      steps: [
        { t: T0, tracks: [{ id: 1, gy: 0.4 }], crossings: ['1 backward one-way'] },
        { t: T0 + 500, tracks: [{ id: 1, gy: 0.4 }, { id: 2, gy: 0.4, gx: 0.2 }], crossings: ['1 backward one-way', '2 backward one-way'] },
        tick(5500),
      ],
      want: ['start@0 e1 wrong-way-pdl (from -100)', 'start@500 e2 wrong-way-pdl (from 400)', 'end@5500 e1 (to 500)', 'end@5500 e2 (to 500)'],
    },
  ])('$name', ({ steps, want }) => {
    expect(story([WRONG], steps)).toEqual(want);
  });
});

describe('crowd', () => {
  const CROWD: AlertRule = { id: 'gathering', kind: 'crowd', zone: 'yard', labels: ['person'], count: 3, seconds: 5 };
  const people = (n: number, gy = 0.8): T[] => Array.from({ length: n }, (_, i) => ({ id: i + 1, gy, gx: 0.1 + i * 0.1, label: 'person' as const }));

  it.each<{ name: string; steps: Step[]; want: string[] }>([
    {
      name: 'three people for 5 s: one alert for the crowd; it ends when fewer stay endAfter',
      steps: [...frames(0, 8000, () => [...people(3), { id: 9, gy: 0.8, label: 'car' }]), ...frames(8500, 13_000, () => people(2))],
      want: ['start@5000 e1 gathering (from 0)', 'end@13000 e1 (to 8000)'],
    },
    { name: 'two people for a long time: none', steps: frames(0, 30_000, () => people(2)), want: [] },
    { name: 'three people for 4.5 s: none', steps: [...frames(0, 4500, () => people(3)), ...frames(5000, 9000, () => people(2))], want: [] },
    {
      name: 'one of them out of the zone for a frame neither delays nor ends it',
      steps: [...frames(0, 12_000, (t) => (t === 3000 || t === 9000 ? [...people(2), { id: 3, gy: 0.3, label: 'person' }] : people(3))), tick(16_999), tick(17_000)],
      want: ['start@5000 e1 gathering (from 0)', 'end@17000 e1 (to 12000)'],
    },
  ])('$name', ({ steps, want }) => {
    expect(story([CROWD], steps).filter((s) => !s.startsWith('update'))).toEqual(want);
  });

  it('is labelled by its most common label and its snapshot is where it was largest', () => {
    const rule: AlertRule = { id: 'busy', kind: 'crowd', zone: 'yard', count: 3, seconds: 1 };
    const steps = frames(0, 3000, (t) => [
      { id: 1, gy: 0.8, gx: 0.2, label: 'person' },
      { id: 2, gy: 0.8, gx: 0.4, label: 'motorcycle' },
      { id: 3, gy: 0.8, gx: 0.6, label: 'motorcycle' },
      ...(t >= 2000 ? [{ id: 4, gy: 0.9, gx: 0.8, label: 'motorcycle' as const }] : []),
    ]);
    const { changes } = run([rule], steps);
    expect(changes.map((c) => [c.type, c.event.label, c.event.bestAtMs - T0])).toEqual([
      ['start', 'motorcycle', 1000],
      ['update', 'motorcycle', 2000],
    ]);
    expect(changes[1]!.event.box.w).toBeGreaterThan(changes[0]!.event.box.w);
  });
});

describe('alerts in general', () => {
  const ANY: AlertRule = { id: 'yard', kind: 'presence', zone: 'yard' };

  it('updates at most every updateEveryMs, with the box and top score of the track\'s best moment', () => {
    const steps = frames(0, 5000, (t) => [{ id: 1, gy: 0.8, score: 0.5 + t / 20_000 }], 250);
    const { changes } = run([ANY], steps);
    expect(changes.map((c) => `${c.type}@${c.event.lastSeenMs - T0} top ${c.event.topScore} best@${c.event.bestAtMs - T0}`)).toEqual([
      'start@0 top 0.5 best@0',
      'update@2000 top 0.6 best@2000',
      'update@4000 top 0.7 best@4000',
    ]);
  });

  it('no update when nothing changed', () => {
    expect(run([ANY], frames(0, 10_000, () => [{ id: 1, gy: 0.8 }])).changes.map((c) => c.type)).toEqual(['start']);
  });

  it('carries its rule and the zones its object has been in', () => {
    const zones = [...ZONES, { id: 'kerb', polygon: [[0, 0.85], [1, 0.85], [1, 1], [0, 1]] as Point[] }];
    const { changes } = run([ANY], frames(0, 3000, (t) => [{ id: 1, gy: t < 2000 ? 0.7 : 0.9 }]), { zones });
    expect(changes.map((c) => [c.type, c.event.rule, c.event.zones])).toEqual([
      ['start', { id: 'yard', kind: 'presence' }, ['yard']],
      ['update', { id: 'yard', kind: 'presence' }, ['yard', 'kerb']],
    ]);
  });

  it('two rules on one object raise one alert each', () => {
    const dwell: AlertRule = { id: 'long', kind: 'dwell', zone: 'yard', seconds: 1 };
    expect(story([ANY, dwell], frames(0, 1000, () => [{ id: 1, gy: 0.8 }]))).toEqual(['start@0 e1 yard (from 0)', 'start@1000 e2 long (from 0)']);
  });

  it('endAll ends every open alert at the last moment its condition held, and forgets them', () => {
    const { alerts } = run([ANY], frames(0, 1000, () => [{ id: 1, gy: 0.8 }, { id: 2, gy: 0.9 }]));
    const ended = alerts.endAll();
    expect(ended.map((c) => [c.type, c.event.end! - T0, c.event.rule.id])).toEqual([
      ['end', 1000, 'yard'],
      ['end', 1000, 'yard'],
    ]);
    expect(alerts.endAll()).toEqual([]);
    expect(alerts.openAlerts()).toEqual([]);
  });
});
