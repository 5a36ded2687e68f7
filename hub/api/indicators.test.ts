// /api/indicators, its dashboard and /metrics' traffic gauge on the real hub, with counts written by ingest's own
// writer: sums per quarter, hour and day and split as asked, the CSV, the budget, the now-against-usual, bad input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CountsMessage } from '../../shared/contract/index.js';
import { applyCounts } from '../ingest/counts.js';
import type { RunningHub } from '../main.js';
import { nextUlid } from '../../testing/hub/test-support.js';
import { CLI, Client, startApiHub } from '../../testing/hub/api/test-client.js';

const MIN = 60_000;
const Q = 15 * MIN;
const HOUR = 60 * MIN;
const WEEK = 7 * 24 * HOUR;
let hub: RunningHub;
let operator: Client;
// the hub's clock: 10:07 on a day in Hồ Chí Minh City (03:07 UTC)
const NOW = Date.parse('2026-12-03T03:07:00Z');
const QNOW = Math.floor(NOW / Q) * Q;

beforeAll(async () => {
  let base: string;
  ({ hub, base } = await startApiHub({ clock: () => NOW }));
  await hub.accounts.addUser({ name: 'lan', role: 'operator', password: 'initial-pass-1' }, CLI);
  operator = new Client(base);
  await operator.login('lan', 'initial-pass-1', 'operator-pass-2');
  const minutes: CountsMessage[] = [];
  const minute = (camera: string, m: number, counts: CountsMessage['counts']) => minutes.push({ msgId: nextUlid(), ward: 'p07', camera, minute: m, counts });
  await hub.store.sql.tx(async (t) => {
    // cam-01: the last hour before the current quarter, 3 motorcycles forward and 1 car backward a minute
    for (let m = QNOW - HOUR; m < QNOW; m += MIN) minute('cam-01', m, [{ line: 'north', direction: 'forward', label: 'motorcycle', n: 3 }, { line: 'north', direction: 'backward', label: 'car', n: 1 }]);
    // the same hour 1 and 2 weeks back: 2 a minute; 3 weeks back the box was off (no minutes)
    for (const weeks of [1, 2]) for (let m = QNOW - HOUR - weeks * WEEK; m < QNOW - weeks * WEEK; m += MIN) minute('cam-01', m, [{ line: 'north', direction: 'forward', label: 'motorcycle', n: 2 }]);
    // cam-02: one minute of buses
    minute('cam-02', QNOW - 30 * MIN, [{ line: 'south', direction: 'forward', label: 'bus', n: 5 }]);
    for (const m of minutes) await applyCounts(t, 'p07', 'p07', m, 0);
  });
});

afterAll(async () => {
  await hub?.close();
});

describe('GET /api/indicators', () => {
  it('sums per quarter, split as asked, with the minutes watched', async () => {
    const r = await operator.get(`/api/indicators?ward=p07&from=${QNOW - HOUR}&to=${QNOW}&by=camera,label`);
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    const rows = r.json.indicators as { at: number; camera: string; label: string; n: number }[];
    expect(rows.filter((x) => x.at === QNOW - HOUR)).toEqual([{ at: QNOW - HOUR, camera: 'cam-01', label: 'car', n: 15 }, { at: QNOW - HOUR, camera: 'cam-01', label: 'motorcycle', n: 45 }]);
    expect(rows.filter((x) => x.camera === 'cam-02')).toEqual([{ at: QNOW - 2 * Q, camera: 'cam-02', label: 'bus', n: 5 }]);
    expect(r.json.watched).toEqual([{ at: QNOW - 4 * Q, minutes: 15 }, { at: QNOW - 3 * Q, minutes: 15 }, { at: QNOW - 2 * Q, minutes: 16 }, { at: QNOW - Q, minutes: 15 }]);
  });

  it('sums per local hour and day, one total per bucket without a split', async () => {
    const day = await operator.get(`/api/indicators?from=${QNOW - 24 * HOUR}&to=${QNOW}&bucket=day&by=`);
    expect(day.json.indicators).toEqual([{ at: Date.parse('2026-12-02T17:00:00Z'), n: 60 * 4 + 5 }]);
    expect(day.json.timeZone).toBe('Asia/Ho_Chi_Minh');
  });

  it('gives CSV for a spreadsheet', async () => {
    const r = await operator.get(`/api/indicators?ward=p07&camera=cam-02&from=${QNOW - HOUR}&to=${QNOW}&format=csv`);
    expect(r.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(r.buffer.toString('utf8')).toBe(`start_utc,start_local,ward,camera,line,direction,label,n\r\n${new Date(QNOW - 2 * Q).toISOString()},2026-12-03 09:30 +07:00,p07,cam-02,south,forward,bus,5\r\n`);
  });

  it.each([
    ['no window', '', 'from'],
    ['to before from', `from=${NOW}&to=${NOW - 1}`, 'to'],
    ['an unknown split', `from=${NOW - HOUR}&to=${NOW}&by=plate`, 'by'],
    ['a bucket of minutes', `from=${NOW - HOUR}&to=${NOW}&bucket=minute`, 'bucket'],
    ['a camera without its ward', `from=${NOW - HOUR}&to=${NOW}&camera=cam-01`, 'camera'],
    ['too many camera-days (2 cameras × 500 days)', `from=${NOW - 500 * 24 * HOUR}&to=${NOW}`, 'from'],
  ])('answers 400 naming the field for %s', async (_name, query, field) => {
    const r = await operator.get(`/api/indicators?${query}`);
    expect(r.status).toBe(400);
    expect(r.json.field).toBe(field);
  });
});

describe('GET /api/indicators/dashboard', () => {
  it('says the last hour against the usual for this weekday and hour, from the weeks that were watched', async () => {
    const r = await operator.get('/api/indicators/dashboard?ward=p07&camera=cam-01');
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json.now).toMatchObject({ from: QNOW - HOUR, to: QNOW, n: 240, watchedMinutes: 60, hour: 9, weekday: 4 });
    expect(r.json.usual).toEqual({ n: 120, weeks: 2, ratio: 2 });
    const last24h = r.json.last24h as { at: number; n: number; byLabel: Record<string, number> }[];
    expect(last24h).toHaveLength(24);
    expect(last24h.reduce((a, h) => a + h.n, 0)).toBe(240);
    expect(last24h.find((h) => h.at === Date.parse('2026-12-03T02:00:00Z'))).toEqual({ at: Date.parse('2026-12-03T02:00:00Z'), n: 240, byLabel: { motorcycle: 180, car: 60 } });
    expect((r.json.last7d as { n: number }[]).map((d) => d.n)).toEqual([0, 0, 0, 0, 0, 0, 240]);
    expect(r.json.peakHour).toEqual({ hour: 9, perHour: 240, days: 1 });
    expect(r.json.busiest24h).toEqual({ at: Date.parse('2026-12-03T02:00:00Z'), n: 240 });
    expect(r.json.labels).toEqual(['car', 'motorcycle']);
  });
});

describe('the city\'s operations centre', () => {
  it('polls the indicators with a city account, and sees no sightings, incidents or wards with it', async () => {
    await hub.accounts.addUser({ name: 'ioc', role: 'city', password: 'initial-pass-1' }, CLI);
    const city = new Client(operator.base);
    expect((await city.login('ioc', 'initial-pass-1', 'city-pass-2')).status).toBe(200);
    expect((await city.get(`/api/indicators?from=${QNOW - HOUR}&to=${QNOW}&by=label`)).status).toBe(200);
    expect((await city.get('/api/indicators/dashboard?ward=p07')).status).toBe(200);
    for (const url of [`/api/sightings?from=${QNOW - HOUR}&to=${QNOW}`, '/api/incidents', '/api/wards', `/api/counts?from=${QNOW - HOUR}&to=${QNOW}`]) expect((await city.get(url)).status, url).toBe(403);
  });
});

describe('GET /metrics', () => {
  it('has the last complete quarter per ward, label and direction', async () => {
    const text = (await operator.get('/metrics')).buffer.toString('utf8');
    expect(text).toContain('# TYPE wardwatch_traffic_last_quarter gauge');
    expect(text).toContain('wardwatch_traffic_last_quarter{ward="p07",label="car",direction="backward"} 15');
    expect(text).toContain('wardwatch_traffic_last_quarter{ward="p07",label="motorcycle",direction="forward"} 45');
  });
});
