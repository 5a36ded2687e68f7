import { describe, expect, it } from 'vitest';
import { kindPairs, MAX_PLACE_STREAMS, searchPlan, streamSql, type SearchFilter } from './plan.js';

const W = { from: 0, to: 3_600_000 };
const cam = (i: number) => ({ ward: 'p07', camera: `cam-${i}` });

describe('searchPlan: the index each filter shape walks', () => {
  it.each<[string, SearchFilter, string, number]>([
    ['only a window: the time index, one walk', W, 'time', 1],
    ['a camera: its own range', { ...W, cameras: [cam(1)] }, 'place', 1],
    ['a ward of 27 cameras, with label and colour: one walk per camera', { ...W, cameras: Array.from({ length: 27 }, (_, i) => cam(i)), labels: ['car'], colours: ['red'] }, 'place', 27],
    ['red cars anywhere: one (label, colour) walk', { ...W, labels: ['car'], colours: ['red'] }, 'kind', 1],
    ['cars of any colour: one walk per colour and one for none', { ...W, labels: ['car'] }, 'kind', 11],
    ['red anything: the five vehicle labels (people have no colour)', { ...W, colours: ['red'] }, 'kind', 5],
    ['people: only the no-colour walk', { ...W, labels: ['person'] }, 'kind', 1],
    ['too many cameras, with a kind: by kind, cameras checked in the index', { ...W, cameras: Array.from({ length: MAX_PLACE_STREAMS + 1 }, (_, i) => cam(i)), labels: ['bus'], colours: ['yellow', 'white'] }, 'kind', 2],
    ['too many cameras, no kind: the time index', { ...W, cameras: Array.from({ length: MAX_PLACE_STREAMS + 1 }, (_, i) => cam(i)) }, 'time', 1],
    ['a line: its crossings', { ...W, cameras: [cam(1)], line: { line: 'north' } }, 'line', 1],
  ])('%s', (_name, filter, driver, streams) => {
    const plan = searchPlan(filter);
    expect(plan.driver).toBe(driver);
    expect(plan.streams).toHaveLength(streams);
  });

  it.each<[string, SearchFilter, 'place' | 'kind' | undefined, string]>([
    ['a ward\'s red cars, the kind walk shorter', { ...W, cameras: [cam(1), cam(2)], labels: ['car'], colours: ['red'] }, 'kind', 'kind'],
    ['a ward\'s white motorcycles, the place walk shorter', { ...W, cameras: [cam(1), cam(2)], labels: ['motorcycle'], colours: ['white'] }, 'place', 'place'],
    ['a ward without a kind: by place whatever is preferred', { ...W, cameras: [cam(1), cam(2)] }, 'kind', 'place'],
  ])('follows the preference when both could serve: %s', (_name, filter, prefer, driver) => {
    expect(searchPlan(filter, prefer).driver).toBe(driver);
  });

  it('refuses a line without exactly one camera', () => {
    expect(() => searchPlan({ ...W, line: { line: 'north' } })).toThrow(/one camera/);
  });

  it('pairs labels with colours, people only with none', () => {
    expect(kindPairs({ labels: ['person', 'car'], colours: ['red'] })).toEqual([{ label: 'car', colour: 'red' }]);
    expect(kindPairs({})).toBeUndefined();
  });
});

describe('streamSql: filters, order and cursor', () => {
  it.each<[string, SearchFilter, 'place' | 'kind' | 'time' | 'line', 'desc' | 'asc', boolean, RegExp[], RegExp[]]>([
    ['a camera, newest first, first page', { ...W, cameras: [cam(1)], labels: ['car'] }, 'place', 'desc', false, [/INDEXED BY sightings_place/, /s\.ward = \? AND s\.camera = \?/, /s\.label IN/, /ORDER BY s\.first DESC, s\.id DESC/], [/\(s\.first, s\.id\) [<>]/, /s\.ward \|\| '\/' \|\| s\.camera IN/]],
    ['next page: after the cursor', { ...W, cameras: [cam(1)] }, 'place', 'desc', true, [/\(s\.first, s\.id\) < \(\?, \?\)/], []],
    ['oldest first: the cursor the other way', { ...W, cameras: [cam(1)] }, 'place', 'asc', true, [/\(s\.first, s\.id\) > \(\?, \?\)/, /ORDER BY s\.first ASC/], []],
    ['by kind with a place: cameras checked in the index', { ...W, cameras: [cam(1)], labels: ['car'], colours: ['red'] }, 'kind', 'desc', false, [/INDEXED BY sightings_kind/, /s\.colour IS \?/, /s\.ward \|\| '\/' \|\| s\.camera IN \(SELECT value FROM json_each\(\?\)\)/], [/s\.label IN/]],
    ['heading 315 → 45 wraps through up', { ...W, heading: { from: 315, to: 45 } }, 'time', 'desc', false, [/s\.heading >= \? OR s\.heading <= \?/], []],
    ['heading 45 → 135', { ...W, heading: { from: 45, to: 135 } }, 'time', 'desc', false, [/s\.heading BETWEEN \? AND \?/], []],
    ['a zone with a dwell: seconds in that zone', { ...W, cameras: [cam(1)], zone: 'bay', minDwell: 30 }, 'place', 'desc', false, [/z\.value ->> 'zone' = \? AND z\.value ->> 'seconds' >= \?/], [/s\.last - s\.first/]],
    ['a dwell without a zone: time in view', { ...W, cameras: [cam(1)], minDwell: 30 }, 'place', 'desc', false, [/s\.last - s\.first >= \? \* 1000/], []],
    ['a line and direction: by crossing time', { ...W, cameras: [cam(1)], line: { line: 'north', direction: 'forward' } }, 'line', 'desc', false, [/l\.line = \?/, /l\.direction = \?/, /l\.at >= \?/, /ORDER BY l\.at DESC/], []],
  ])('%s', (_name, filter, driver, order, cursor, has, hasNot) => {
    const sql = streamSql(filter, driver, order, cursor);
    for (const r of has) expect(sql.page).toMatch(r);
    for (const r of hasNot) expect(sql.page).not.toMatch(r);
    // the count has the same filters and never the cursor
    expect(sql.countParams).not.toContain('cursorTime');
    expect(sql.count).toMatch(/LIMIT \?\) AS matched$/);
    expect(sql.countParams.at(-1)).toBe('cap');
    // as many names as `?`
    expect(sql.pageParams).toHaveLength(sql.page.split('?').length - 1);
    expect(sql.countParams).toHaveLength(sql.count.split('?').length - 1);
  });
});
