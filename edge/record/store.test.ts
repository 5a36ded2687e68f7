// The segment index's rules, on a real SQLite: rows never overlap, a hole is one gap row, a run's start settles its gap.
import { describe, expect, it } from 'vitest';
import { openDb } from '../../shared/db.js';
import { edgeMigrations } from '../db.js';
import { RecordStore } from './store.js';

function store(): RecordStore {
  return new RecordStore(openDb(':memory:', edgeMigrations, { durable: false }));
}

const seg = (name: string, startMs: number, endMs: number) => ({ camera: 'c', path: `/rec/${name}.mp4`, startMs, endMs, bytes: 1 });
const spans = (s: RecordStore) => s.segmentsOf('c').map((r) => [r.path.slice(5, -4), r.startMs, r.endMs]);
const gaps = (s: RecordStore) => s.gaps('c').map((g) => [g.fromMs, g.toMs, g.reason]);

describe('RecordStore.addSegment', () => {
  it.each([
    {
      name: 'contiguous rows stay as they are',
      add: [seg('a', 0, 2000), seg('b', 2000, 4000)],
      want: [['a', 0, 2000], ['b', 2000, 4000]],
    },
    {
      name: 'a new run\'s cached GOP overlapping the last row: that row ends where the new one begins',
      add: [seg('a', 0, 2000), seg('b', 2000, 4000), seg('c', 3400, 6000)],
      want: [['a', 0, 2000], ['b', 2000, 3400], ['c', 3400, 6000]],
    },
    {
      name: 'a short last row the new one covers whole keeps no span',
      add: [seg('a', 0, 2000), seg('b', 2000, 2300), seg('c', 1500, 4000)],
      want: [['a', 0, 1500], ['c', 1500, 4000], ['b', 2000, 2000]],
    },
    {
      name: 'a start a few ms after the last end is the next frame: it continues the last row',
      add: [seg('a', 0, 2000), seg('b', 2003, 4003)],
      want: [['a', 0, 2000], ['b', 2000, 4003]],
    },
    {
      name: 'a real hole stays',
      add: [seg('a', 0, 2000), seg('b', 2500, 4500)],
      want: [['a', 0, 2000], ['b', 2500, 4500]],
    },
  ])('$name', ({ add, want }) => {
    const s = store();
    for (const row of add) s.addSegment(row);
    expect(spans(s)).toEqual(want);
    // what playback and clips see: no row without span, none overlapping
    const inRange = s.segmentsInRange('c', 0, 10_000);
    for (let i = 1; i < inRange.length; i++) expect(inRange[i]!.startMs).toBeGreaterThanOrEqual(inRange[i - 1]!.endMs);
    expect(inRange.every((r) => r.endMs > r.startMs)).toBe(true);
  });

  it('closes the open gap where the next segment begins, and drops it when the new run began before the stop', () => {
    const s = store();
    s.addSegment(seg('a', 0, 2000));
    s.openGap('c', 2000, 'restarted');
    s.addSegment(seg('b', 5000, 7000), { firstOfRun: true });
    expect(gaps(s)).toEqual([[2000, 5000, 'restarted']]);
    s.openGap('c', 7000, 'restarted');
    s.addSegment(seg('c', 6200, 8000), { firstOfRun: true });
    expect(gaps(s)).toEqual([[2000, 5000, 'restarted']]);
  });

  it('moves a gap end the run reported early to its first segment\'s start, and drops the gap if that shows no hole', () => {
    const s = store();
    s.addSegment(seg('a', 0, 2000));
    s.openGap('c', 2000, 'restarted');
    s.endGapAt('c', 4100); // the run's word a second in
    expect(gaps(s)).toEqual([[2000, 4100, 'restarted']]);
    s.addSegment(seg('b', 4060, 6000), { firstOfRun: true });
    expect(gaps(s)).toEqual([[2000, 4060, 'restarted']]);
    s.openGap('c', 6000, 'restarted');
    s.endGapAt('c', 6050);
    s.addSegment(seg('c', 5300, 8000), { firstOfRun: true });
    expect(gaps(s)).toEqual([[2000, 4060, 'restarted']]);
    // a later segment of the run leaves the gap alone
    s.addSegment(seg('d', 8000, 9000));
    expect(gaps(s)).toEqual([[2000, 4060, 'restarted']]);
  });
});

describe('RecordStore.retime', () => {
  it('moves a run\'s rows back together, the row before yields, and the gap before the run follows', () => {
    const s = store();
    s.addSegment(seg('a', 0, 2000));
    s.openGap('c', 2000, 'restarted');
    s.addSegment(seg('b', 5300, 7300), { firstOfRun: true });
    s.addSegment(seg('c', 7300, 9300));
    // the run's clock learns its reports were read 300 ms late
    s.retime('c', [
      { path: '/rec/b.mp4', startMs: 5000, endMs: 7000 },
      { path: '/rec/c.mp4', startMs: 7000, endMs: 9000 },
    ], { firstOfRun: true });
    expect(spans(s)).toEqual([['a', 0, 2000], ['b', 5000, 7000], ['c', 7000, 9000]]);
    expect(gaps(s)).toEqual([[2000, 5000, 'restarted']]);
  });

  it('lets the row before yield when the run moves back over its end: no hole after all, no gap', () => {
    const s = store();
    s.addSegment(seg('a', 0, 2000));
    s.openGap('c', 2000, 'restarted');
    s.addSegment(seg('b', 2300, 4300), { firstOfRun: true });
    expect(gaps(s)).toEqual([[2000, 2300, 'restarted']]);
    s.retime('c', [{ path: '/rec/b.mp4', startMs: 1800, endMs: 3800 }], { firstOfRun: true });
    expect(spans(s)).toEqual([['a', 0, 1800], ['b', 1800, 3800]]);
    expect(gaps(s)).toEqual([]);
  });
});
