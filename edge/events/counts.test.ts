import { describe, expect, it } from 'vitest';
import type { Label } from '../../shared/contract/index.js';
import { LineCounts, UNWATCHED_AFTER_MS } from './counts.js';
import type { Crossing } from './sightings.js';

const M0 = Date.UTC(2026, 11, 1, 3, 0, 0); // 10:00 in Hồ Chí Minh City
const MIN = 60_000;
const LINES = [{ id: 'pdl-north' }, { id: 'hvt-east' }];

const cross = (at: number, line = 'pdl-north', direction: Crossing['direction'] = 'forward', label: Label = 'car', camera = 'cam-01'): Crossing => ({
  trackId: 1,
  camera,
  label,
  line,
  direction,
  at,
});

type Step = { start: number } | { add: Crossing } | { flush: number };

/** Runs the steps and returns each flushed minute as "minute-offset: line direction label n, …" ('' when none crossed). */
function run(steps: readonly Step[], lines = LINES): string[] {
  const counts = new LineCounts({ camera: 'cam-01', lines });
  const out: string[] = [];
  for (const s of steps) {
    if ('start' in s) counts.start(s.start);
    else if ('add' in s) counts.add(s.add);
    else for (const m of counts.flush(s.flush)) out.push(`${(m.minute - M0) / MIN}: ${m.counts.map((c) => `${c.line} ${c.direction} ${c.label} ${c.n}`).join(', ')}`);
  }
  return out;
}

describe('line counts', () => {
  it.each<{ name: string; steps: Step[]; lines?: { id: string }[]; want: string[] }>([
    {
      name: 'counts per line, direction and label in each minute, empty minutes too, each minute once',
      steps: [
        { start: M0 + 30_000 },
        { add: cross(M0 + 40_000) },
        { add: cross(M0 + 41_000) },
        { add: cross(M0 + 50_000, 'pdl-north', 'backward', 'person') },
        { flush: M0 + MIN + 1999 },
        { flush: M0 + MIN + 2000 },
        { flush: M0 + MIN + 2500 },
        { add: cross(M0 + 2 * MIN + 10_000, 'hvt-east', 'forward', 'motorcycle') },
        { flush: M0 + 3 * MIN + 5000 },
      ],
      want: ['0: pdl-north forward car 2, pdl-north backward person 1', '1: ', '2: hvt-east forward motorcycle 1'],
    },
    {
      name: 'lists lines in their configured order, forward before backward, labels in the contract\'s order',
      steps: [
        { start: M0 },
        { add: cross(M0 + 1, 'hvt-east', 'backward', 'car') },
        { add: cross(M0 + 2, 'hvt-east', 'forward', 'truck') },
        { add: cross(M0 + 3, 'hvt-east', 'forward', 'person') },
        { add: cross(M0 + 4, 'pdl-north', 'backward', 'bus') },
        { flush: M0 + MIN + 2000 },
      ],
      want: ['0: pdl-north backward bus 1, hvt-east forward person 1, hvt-east forward truck 1, hvt-east backward car 1'],
    },
    {
      name: 'the first flush starts the watch: nothing before its minute',
      steps: [{ flush: M0 + 10_000 }, { flush: M0 + 2 * MIN + 2000 }],
      want: ['0: ', '1: '],
    },
    {
      name: 'a crossing confirmed after its minute was sent is counted in the next minute, not lost',
      steps: [{ start: M0 }, { flush: M0 + MIN + 2000 }, { add: cross(M0 + 59_000) }, { flush: M0 + 2 * MIN + 2000 }],
      want: ['0: ', '1: pdl-north forward car 1'],
    },
    {
      name: 'crossings of lines it does not count, or of another camera, are ignored',
      steps: [{ start: M0 }, { add: cross(M0 + 1, 'elsewhere') }, { add: cross(M0 + 2, 'pdl-north', 'forward', 'car', 'cam-02') }, { flush: M0 + MIN + 2000 }],
      want: ['0: '],
    },
    {
      name: 'start again while watching changes nothing (nothing counted is dropped)',
      steps: [{ start: M0 }, { add: cross(M0 + 10_000) }, { start: M0 + 3 * MIN }, { flush: M0 + MIN + 2000 }],
      want: ['0: pdl-north forward car 1'],
    },
    {
      name: 'a crossing before any start starts the watch at its minute',
      steps: [{ add: cross(M0 + 10_000) }, { flush: M0 + MIN + 2000 }],
      want: ['0: pdl-north forward car 1'],
    },
    {
      name: 'a camera with no lines produces nothing',
      steps: [{ start: M0 }, { add: cross(M0 + 1) }, { flush: M0 + 5 * MIN }],
      lines: [],
      want: [],
    },
    {
      name: 'no flush for longer than 10 minutes (the camera was off): the gap is not reported as "none crossed"',
      steps: [
        { start: M0 },
        { flush: M0 + 90_000 },
        { add: cross(M0 + 5 * MIN + 30_000) },
        { flush: M0 + 90_000 + UNWATCHED_AFTER_MS + 1 },
        { flush: M0 + 90_000 + UNWATCHED_AFTER_MS + MIN + 2000 },
      ],
      // watched in minutes 0 and 1, something crossed in minute 5 all the same; watched again from 10:11:30, so minute 11 on
      want: ['0: ', '1: ', '5: pdl-north forward car 1', '11: '],
    },
    {
      name: 'a gap of 10 minutes or less is still watched time',
      steps: [{ start: M0 }, { flush: M0 + UNWATCHED_AFTER_MS }],
      // minute 9 is not over until 2 s after it ends
      want: Array.from({ length: 9 }, (_, i) => `${i}: `),
    },
  ])('$name', ({ steps, lines, want }) => {
    expect(run(steps, lines)).toEqual(want);
  });
});
