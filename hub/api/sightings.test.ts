// /api/sightings and /api/counts on the real hub, with sightings and counts written by ingest's own writers:
// filters, keyset paging, the audit of every search and thumbnail view, input checks, budgets, time zones.
import { monotonicFactory } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sighting, SightingsMessage } from '../../shared/contract/index.js';
import { applyCounts } from '../ingest/counts.js';
import { applySightings } from '../ingest/sightings.js';
import { cameraPlaced } from '../store/cameras.js';
import type { RunningHub } from '../main.js';
import { CLI, Client, startApiHub } from '../../testing/hub/api/test-client.js';
import { seedIncident } from '../../testing/hub/api/test-seed.js';

const ulid = monotonicFactory();
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
// midnight in Hồ Chí Minh City (UTC+7) two days ago: recent, so that retention (90 days) keeps it
const T0 = Math.floor((Date.now() - 2 * DAY) / DAY) * DAY - 7 * HOUR;
const W = `from=${T0}&to=${T0 + DAY}`;
const JPEG = Buffer.from('/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/2Q==', 'base64');

interface Seeded extends Sighting {
  ward: string;
}

let hub: RunningHub;
let base: string;
let operator: Client;
const seeded: Seeded[] = [];
const follow = {} as { bus: Seeded; after: Seeded[]; before: Seeded[] };

beforeAll(async () => {
  ({ hub, base } = await startApiHub({ clock: () => Date.now() }));
  for (const [name, role] of [['lan', 'operator'], ['quan', 'admin']] as const) await hub.accounts.addUser({ name, role, password: 'initial-pass-1' }, CLI);
  operator = new Client(base);
  expect((await operator.login('lan', 'initial-pass-1', 'operator-pass-2')).status).toBe(200);

  // 60 sightings over two wards, three cameras, four labels; some share a first time (the id breaks the tie);
  // the motorcycles cross line pdl on cam-01 (two of them twice: there and back)
  const labels = ['car', 'person', 'motorcycle', 'truck'] as const;
  const colours = ['white', 'red', 'black'] as const;
  const toApply: SightingsMessage[] = [];
  await hub.store.sql.tx(async (t) => {
    for (let i = 0; i < 60; i++) {
      const label = labels[i % 4]!;
      const first = T0 + Math.floor(i / 2) * MINUTE;
      const ward = i % 5 === 0 ? 'p08' : 'p07';
      const camera = `cam-0${i % 3}`;
      const vehicle = label !== 'person';
      const lines: Sighting['lines'] = label === 'motorcycle' && camera === 'cam-01' ? [{ line: 'pdl', direction: 'forward', at: first + 2000 }] : [];
      if (lines.length && i % 24 === 22) lines.push({ line: 'pdl', direction: 'backward', at: first + 9000 });
      const s: Seeded = {
        id: ulid(), ward, camera, label, first, last: first + (i % 3 === 0 ? 20_000 : 12_000), score: 0.7, box: { x: 0.2, y: 0.3, w: 0.1, h: 0.1 }, bestAt: first + 3000,
        heading: vehicle ? (i * 37) % 360 : null, lines, zones: [{ zone: 'crossing', seconds: 4 }], final: true,
        ...(vehicle ? { colour: colours[i % 3]!, thumbnail: JPEG.toString('base64') } : {}), ...(label === 'motorcycle' ? { riders: 1 } : {}),
      };
      seeded.push(s);
      const { ward: _w, ...sighting } = s;
      toApply.push({ msgId: ulid(), ward, camera, sightings: [sighting] });
    }
    // "follow": a blue bus leaves p07/cam-00 at T0 + 2 h; blue buses before and after on the cameras around it
    const bus = (ward: string, camera: string, first: number, colour: 'blue' | 'white' = 'blue') => {
      const b: Seeded = { id: ulid(), ward, camera, label: 'bus', first, last: first + 10_000, score: 0.8, box: { x: 0.2, y: 0.3, w: 0.2, h: 0.2 }, bestAt: first + 2000, heading: 90, lines: [], zones: [], final: true, colour };
      seeded.push(b);
      const { ward: _w, ...sighting } = b;
      toApply.push({ msgId: ulid(), ward, camera, sightings: [sighting] });
      return b;
    };
    const F = T0 + 2 * HOUR;
    follow.bus = bus('p07', 'cam-00', F);
    follow.after = [bus('p07', 'cam-01', F + 10_000 + MINUTE), bus('p08', 'cam-00', F + 10_000 + 3 * MINUTE)];
    bus('p07', 'cam-02', F + 2 * MINUTE); // 1.1 km away
    bus('p07', 'cam-01', F + 2 * MINUTE, 'white'); // another colour
    bus('p07', 'cam-01', F + 10_000 + 6 * MINUTE); // after the 5 minutes
    bus('p07', 'cam-00', F + MINUTE); // the same camera
    follow.before = [bus('p08', 'cam-00', F - 4 * MINUTE), bus('p07', 'cam-01', F - 2 * MINUTE)];
    for (const m of toApply) await applySightings(t, m.ward, m.ward, m, Date.now());
  });
  // positions, as the boxes' camera status carries them: p08/cam-02 has none
  const place = (ward: string, camera: string, at: { lat: number; lon: number }) => cameraPlaced(hub.store.sql, ward, camera, at);
  await place('p07', 'cam-00', { lat: 10.8, lon: 106.68 });
  await place('p07', 'cam-01', { lat: 10.801, lon: 106.68 }); // 111 m
  await place('p07', 'cam-02', { lat: 10.81, lon: 106.68 }); // 1.1 km
  await place('p08', 'cam-00', { lat: 10.8, lon: 106.6825 }); // 273 m
  await place('p08', 'cam-01', { lat: 10.79, lon: 106.69 }); // 1.6 km
});

afterAll(async () => {
  await hub?.close();
});

/** Every page of a search, following `next`: the ids (with crossing times when by line) and the pages' answers. */
async function all(c: Client, query: string, limit = 7): Promise<{ ids: string[]; items: Record<string, unknown>[] }> {
  const items: Record<string, unknown>[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const r = await c.get(`/api/sightings?${query}${query ? '&' : ''}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    items.push(...(r.json.sightings as Record<string, unknown>[]));
    cursor = r.json.next as string | null;
    if (!cursor) return { ids: items.map((i) => i.id as string), items };
  }
  throw new Error('paging never ended');
}

const newestFirst = (rows: Seeded[]) => [...rows].sort((a, b) => b.first - a.first || (a.id < b.id ? 1 : -1)).map((s) => s.id);

describe('GET /api/sightings', () => {
  it.each([
    ['a window alone', W, () => true],
    ['ward', `${W}&wards=p08`, (s: Seeded) => s.ward === 'p08'],
    ['two wards', `${W}&wards=p08,p07`, () => true],
    ['a camera', `${W}&cameras=p07/cam-01`, (s: Seeded) => s.ward === 'p07' && s.camera === 'cam-01'],
    ['cameras of two wards', `${W}&cameras=p07/cam-01,p08/cam-02`, (s: Seeded) => (s.ward === 'p07' && s.camera === 'cam-01') || (s.ward === 'p08' && s.camera === 'cam-02')],
    ['label', `${W}&labels=person`, (s: Seeded) => s.label === 'person'],
    ['labels', `${W}&labels=car,truck`, (s: Seeded) => s.label === 'car' || s.label === 'truck'],
    ['colour', `${W}&colours=red`, (s: Seeded) => s.colour === 'red'],
    ['colours and label', `${W}&colours=white,black&labels=truck`, (s: Seeded) => (s.colour === 'white' || s.colour === 'black') && s.label === 'truck'],
    ['camera and label', `${W}&cameras=p07/cam-02&labels=car`, (s: Seeded) => s.ward === 'p07' && s.camera === 'cam-02' && s.label === 'car'],
    ['time range', `from=${T0 + 5 * MINUTE}&to=${T0 + 12 * MINUTE}`, (s: Seeded) => s.first >= T0 + 5 * MINUTE && s.first < T0 + 12 * MINUTE],
    ['heading ± spread', `${W}&heading=170&headingSpread=15`, (s: Seeded) => s.heading !== null && s.heading >= 155 && s.heading <= 185],
    ['heading through up (350 ± 30)', `${W}&heading=350&headingSpread=30`, (s: Seeded) => s.heading !== null && (s.heading >= 320 || s.heading <= 20)],
    ['zone and dwell', `${W}&wards=p07&zone=crossing&minDwell=4`, (s: Seeded) => s.ward === 'p07' && s.zones.some((z) => z.zone === 'crossing' && z.seconds >= 4)],
    ['dwell in view', `${W}&wards=p07,p08&minDwell=15`, (s: Seeded) => s.last - s.first >= 15_000],
    ['near a camera (within 300 m)', `${W}&near=p07/cam-00&radius=300`, (s: Seeded) => (s.ward === 'p07' && (s.camera === 'cam-00' || s.camera === 'cam-01')) || (s.ward === 'p08' && s.camera === 'cam-00')],
    ['everything at once', `cameras=p07/cam-01&labels=motorcycle&colours=red&from=${T0}&to=${T0 + DAY}`, (s: Seeded) =>
      s.ward === 'p07' && s.camera === 'cam-01' && s.label === 'motorcycle' && s.colour === 'red'],
  ])('filters by %s, newest first, across pages', async (_name, query, match) => {
    const expected = newestFirst(seeded.filter(match));
    expect(expected.length).toBeGreaterThan(0);
    expect((await all(operator, query)).ids).toEqual(expected);
  });

  it('finds what crossed a line between two times, by crossing time, each crossing once, with its direction', async () => {
    const crossings = seeded
      .filter((s) => s.ward === 'p07' && s.camera === 'cam-01')
      .flatMap((s) => s.lines.map((l) => ({ id: s.id, ...l })))
      .filter((c) => c.at >= T0 + 10 * MINUTE && c.at < T0 + 50 * MINUTE)
      .sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1));
    expect(crossings.some((c) => c.direction === 'backward')).toBe(true);
    const got = await all(operator, `cameras=p07/cam-01&line=pdl&from=${T0 + 10 * MINUTE}&to=${T0 + 50 * MINUTE}`, 3);
    expect(got.items.map((i) => [i.id, i.crossing])).toEqual(crossings.map((c) => [c.id, { line: 'pdl', direction: c.direction, at: c.at }]));
    const back = await all(operator, `${W}&cameras=p07/cam-01&line=pdl&direction=backward`);
    const backward = seeded
      .filter((s) => s.ward === 'p07' && s.camera === 'cam-01')
      .flatMap((s) => s.lines.filter((l) => l.direction === 'backward').map((l) => ({ id: s.id, at: l.at })))
      .sort((a, b) => b.at - a.at);
    expect(backward.length).toBe(2);
    expect(back.ids).toEqual(backward.map((c) => c.id));
  });

  it('shows a sighting as the API promises: decoded fields, nulls for what a person lacks, no picture bytes', async () => {
    const r = await operator.get(`/api/sightings?${W}&cameras=p07/cam-01&labels=person&limit=1`);
    const person = seeded.filter((s) => s.ward === 'p07' && s.camera === 'cam-01' && s.label === 'person').sort((a, b) => b.first - a.first)[0]!;
    expect(r.json.sightings).toEqual([{
      id: person.id, ward: 'p07', camera: 'cam-01', label: 'person', first: person.first, last: person.last, score: 0.7, box: person.box, bestAt: person.bestAt,
      heading: null, lines: [], zones: [{ zone: 'crossing', seconds: 4 }], colour: null, riders: null, final: true, thumbnail: false,
    }]);
    const vehicles = await operator.get(`/api/sightings?${W}&labels=car&limit=200`);
    expect((vehicles.json.sightings as { thumbnail: boolean }[]).every((s) => s.thumbnail)).toBe(true);
    expect(vehicles.buffer.includes(Buffer.from('/9j/'))).toBe(false);
  });

  it('audits every page of every search: who, from where, what was asked, how many came back', async () => {
    const before = (await hub.audit.list({ actor: 'lan', limit: 1000 })).filter((a) => a.action === 'search').length;
    const got = await all(operator, `${W}&wards=p07&labels=car`, 4);
    const rows = (await hub.audit.list({ actor: 'lan', limit: 1000 })).filter((a) => a.action === 'search');
    const pages = Math.ceil(got.ids.length / 4);
    expect(pages).toBeGreaterThan(1);
    expect(rows.length - before).toBe(pages);
    const newest = rows[0]!;
    expect(newest).toMatchObject({ actor: 'lan', ip: '127.0.0.1', target: null });
    expect(JSON.parse(newest.detail!)).toEqual({ subject: 'sightings', filter: { from: String(T0), to: String(T0 + DAY), wards: 'p07', labels: 'car' }, page: 'next', results: got.ids.length - 4 * (pages - 1) });
    const first = rows[pages - 1]!;
    expect(JSON.parse(first.detail!)).toMatchObject({ page: 'first', results: 4, total: got.ids.length });
    expect(await hub.audit.verify()).toMatchObject({ ok: true });
  });

  it('serves a vehicle\'s thumbnail as JPEG, audited as a view; a person has none', async () => {
    const car = seeded.find((s) => s.label === 'car')!;
    const r = await operator.get(`/api/sightings/${car.id}/thumbnail`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('image/jpeg');
    expect(r.buffer.equals(JPEG)).toBe(true);
    const [view] = await hub.audit.list({ target: car.id });
    expect(view).toMatchObject({ action: 'snapshot.view', actor: 'lan', ip: '127.0.0.1' });
    expect(JSON.parse(view!.detail!)).toEqual({ subject: 'sighting', ward: car.ward, camera: car.camera });

    const person = seeded.find((s) => s.label === 'person')!;
    expect(await operator.get(`/api/sightings/${person.id}/thumbnail`)).toMatchObject({ status: 404, json: { code: 'NO_THUMBNAIL' } });
    expect(await hub.audit.list({ target: person.id })).toEqual([]);
    expect(await operator.get('/api/sightings/01KAXG4Z7M5P2V8N3Q6R9T0W1Z/thumbnail')).toMatchObject({ status: 404, json: { code: 'NOT_FOUND' } });
    expect(await operator.get('/api/sightings/..%2F..%2Fhub.db/thumbnail')).toMatchObject({ status: 400, json: { field: 'id' } });
  });

  it.each([
    ['', 'from'],
    [`from=${T0}`, 'to'],
    [`from=${T0}&to=${T0 + 25 * HOUR}`, 'to'],
    [`from=${T0}&to=${T0}`, 'to'],
    [`${W}&labels=face`, 'labels'],
    [`${W}&labels=car,face`, 'labels'],
    [`${W}&colours=pink`, 'colours'],
    [`${W}&labels=person&colours=red`, 'colours'],
    [`${W}&cameras=cam-01`, 'cameras'],
    [`${W}&cameras=p07/nope`, 'cameras'],
    [`${W}&near=p07/cam-01&radius=-1`, 'radius'],
    [`${W}&near=p07/cam-01&radius=5001`, 'radius'],
    [`${W}&radius=100`, 'radius'],
    [`${W}&near=p08/cam-02`, 'near'],
    [`${W}&near=p07/cam-01&wards=p07`, 'near'],
    [`${W}&wards=p07&line=pdl`, 'line'],
    [`${W}&cameras=p07/cam-01&direction=forward`, 'direction'],
    [`${W}&cameras=p07/cam-01&line=pdl&direction=up`, 'direction'],
    [`${W}&zone=crossing`, 'zone'],
    [`${W}&heading=400`, 'heading'],
    [`${W}&limit=0`, 'limit'],
    [`${W}&limit=201`, 'limit'],
    [`${W}&cursor=bm90LWEtY3Vyc29y`, 'cursor'],
    [`${W}&thumbnail=true`, 'thumbnail'],
  ])('answers 400 naming the field for %s, and audits nothing', async (query, field) => {
    const before = (await hub.audit.list({ limit: 1 }))[0]?.id;
    const r = await operator.get(`/api/sightings?${query}`);
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ code: 'BAD_REQUEST', field });
    expect(String(r.json.error)).toMatch(new RegExp(`^${field}: `));
    expect((await hub.audit.list({ limit: 1 }))[0]?.id).toBe(before);
  });

  it('gives the total on the first page, exactly, and the cameras a place covers', async () => {
    const r = await operator.get(`/api/sightings?${W}&near=p07/cam-00&radius=300&limit=2`);
    const expected = seeded.filter((s) => (s.ward === 'p07' && (s.camera === 'cam-00' || s.camera === 'cam-01')) || (s.ward === 'p08' && s.camera === 'cam-00'));
    expect(r.json.total).toEqual({ n: expected.length, exact: true });
    expect((r.json.cameras as { ward: string; camera: string; metres: number }[]).map((c) => `${c.ward}/${c.camera}:${Math.round(c.metres)}`)).toEqual(['p07/cam-00:0', 'p07/cam-01:111', 'p08/cam-00:273']);
    const next = await operator.get(`/api/sightings?${W}&near=p07/cam-00&radius=300&limit=2&cursor=${r.json.next as string}`);
    expect(next.json.total).toBeUndefined();
  });

  it('follows a vehicle to the cameras around it: same label and colour, within the radius and the minutes, in time order', async () => {
    const after = await operator.get(`/api/sightings/${follow.bus.id}/follow?direction=after&minutes=5&radius=500`);
    expect(after.status, JSON.stringify(after.json)).toBe(200);
    expect((after.json.sightings as { id: string }[]).map((x) => x.id)).toEqual(follow.after.map((b) => b.id));
    expect((after.json.sightings as { metres: number }[]).map((x) => x.metres)).toEqual([111, 273]);
    const before = await operator.get(`/api/sightings/${follow.bus.id}/follow?direction=before&minutes=5&radius=500`);
    expect((before.json.sightings as { id: string }[]).map((x) => x.id)).toEqual([...follow.before].reverse().map((b) => b.id));
    const [audited] = await hub.audit.list({ target: follow.bus.id });
    expect(audited).toMatchObject({ action: 'search', actor: 'lan' });
    expect(JSON.parse(audited!.detail!)).toMatchObject({ subject: 'sightings', follow: 'before', label: 'bus', colour: 'blue', results: 2 });
    // never a person; bad input names the field
    const person = seeded.find((x) => x.label === 'person')!;
    expect(await operator.get(`/api/sightings/${person.id}/follow`)).toMatchObject({ status: 400, json: { field: 'id' } });
    expect(await operator.get(`/api/sightings/${follow.bus.id}/follow?radius=-1`)).toMatchObject({ status: 400, json: { field: 'radius' } });
    expect(await operator.get(`/api/sightings/${follow.bus.id}/follow?minutes=31`)).toMatchObject({ status: 400, json: { field: 'minutes' } });
  });

  it('lists the cameras with their positions', async () => {
    const r = await operator.get('/api/cameras');
    expect(r.json.cameras).toContainEqual({ ward: 'p07', camera: 'cam-01', lat: 10.801, lon: 106.68 });
    expect(r.json.cameras).toContainEqual({ ward: 'p08', camera: 'cam-02', lat: null, lon: null });
  });

  it('is for operators: 401 without a session, 403 for an admin', async () => {
    const car = seeded.find((s) => s.label === 'car')!;
    const anon = new Client(base);
    for (const url of ['/api/sightings', `/api/sightings/${car.id}/thumbnail`, `/api/counts?from=${T0}&to=${T0 + HOUR}`]) expect((await anon.get(url)).status, url).toBe(401);
    const admin = new Client(base);
    await admin.login('quan', 'initial-pass-1', 'admin-pass-3');
    expect(await admin.get(`/api/sightings?${W}`)).toMatchObject({ status: 403, json: { code: 'FORBIDDEN' } });
    expect((await admin.get(`/api/sightings/${car.id}/thumbnail`)).status).toBe(403);
  });
});

describe('GET /api/counts', () => {
  // cam-01 of p07: 3 days of minutes from T0 (a local midnight); every minute pdl forward car 2, every 10th minute
  // also pdl backward bus 1; line east forward motorcycle 5 in the first hour only; minute 30 of each day not reported
  // (box offline), minute 31 reported empty. cam-02: one minute.
  beforeAll(async () => {
    await hub.store.sql.tx(async (t) => {
      for (let m = 0; m < 3 * 1440; m++) {
        if (m % 1440 === 30) continue;
        const counts = m % 1440 === 31 ? [] : [
          { line: 'pdl', direction: 'forward' as const, label: 'car' as const, n: 2 },
          ...(m % 10 === 0 ? [{ line: 'pdl', direction: 'backward' as const, label: 'bus' as const, n: 1 }] : []),
          ...(m < 60 ? [{ line: 'east', direction: 'forward' as const, label: 'motorcycle' as const, n: 5 }] : []),
        ];
        await applyCounts(t, 'p07', 'p07', { msgId: ulid(), ward: 'p07', camera: 'cam-01', minute: T0 + m * MINUTE, counts }, Date.now());
      }
      await applyCounts(t, 'p07', 'p07', { msgId: ulid(), ward: 'p07', camera: 'cam-02', minute: T0, counts: [{ line: 'gate', direction: 'forward', label: 'person', n: 7 }] }, Date.now());
    });
  });

  const counts = async (query: string) => {
    const r = await operator.get(`/api/counts?${query}`);
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    return r.json as { bucket: string; timeZone: string; counts: { ward: string; camera: string; line: string; direction: string; label: string; at: number; n: number }[]; watched: { camera: string; at: number; minutes: number }[] };
  };

  it('sums per local day, says how many minutes each day was watched, and tells a zero from a gap', async () => {
    const r = await counts(`ward=p07&camera=cam-01&from=${T0}&to=${T0 + 3 * DAY}&bucket=day&timeZone=Asia/Ho_Chi_Minh`);
    expect(r).toMatchObject({ bucket: 'day', timeZone: 'Asia/Ho_Chi_Minh' });
    const pdlForward = r.counts.filter((c) => c.line === 'pdl' && c.direction === 'forward');
    expect(pdlForward.map((c) => [c.at, c.n])).toEqual([0, 1, 2].map((d) => [T0 + d * DAY, 2 * 1438]));
    expect(r.counts.filter((c) => c.line === 'east')).toEqual([{ ward: 'p07', camera: 'cam-01', line: 'east', direction: 'forward', label: 'motorcycle', at: T0, n: 5 * 58 }]);
    expect(r.watched).toEqual([0, 1, 2].map((d) => ({ ward: 'p07', camera: 'cam-01', at: T0 + d * DAY, minutes: 1439 })));
  });

  it('sums per hour and per minute, one line, over part of a day', async () => {
    const hours = await counts(`ward=p07&camera=cam-01&line=pdl&from=${T0}&to=${T0 + 2 * HOUR}&bucket=hour`);
    expect(hours.counts.map((c) => [c.direction, c.at, c.n])).toEqual([
      ['backward', T0, 5], // minute 30 was not reported
      ['backward', T0 + HOUR, 6],
      ['forward', T0, 2 * 58],
      ['forward', T0 + HOUR, 2 * 60],
    ]);
    expect(hours.watched.map((w) => w.minutes)).toEqual([59, 60]);
    const minutes = await counts(`ward=p07&camera=cam-01&from=${T0 + 29 * MINUTE}&to=${T0 + 32 * MINUTE}&bucket=minute`);
    expect(minutes.counts.map((c) => [c.line, c.at, c.n])).toEqual([['east', T0 + 29 * MINUTE, 5], ['pdl', T0 + 29 * MINUTE, 2]]);
    expect(minutes.watched.map((w) => w.at)).toEqual([T0 + 29 * MINUTE, T0 + 31 * MINUTE]); // 30 missing, 31 watched and empty
  });

  it('puts day buckets at the requested zone\'s midnights', async () => {
    const utc = await counts(`ward=p07&camera=cam-01&line=pdl&from=${T0}&to=${T0 + DAY}&bucket=day&timeZone=UTC`);
    // the local day from T0 (17:00 UTC) is cut by the UTC midnight 7 hours later
    expect(utc.counts.filter((c) => c.direction === 'forward').map((c) => c.at)).toEqual([T0 - 17 * HOUR, T0 + 7 * HOUR]);
  });

  it('sums a whole ward camera by camera', async () => {
    const r = await counts(`ward=p07&from=${T0}&to=${T0 + HOUR}&bucket=hour&timeZone=Asia/Ho_Chi_Minh`);
    expect(r.counts.filter((c) => c.camera === 'cam-02')).toEqual([{ ward: 'p07', camera: 'cam-02', line: 'gate', direction: 'forward', label: 'person', at: T0, n: 7 }]);
    expect(r.counts.filter((c) => c.camera === 'cam-01').length).toBe(3);
    const none = await counts(`ward=p08&from=${T0}&to=${T0 + HOUR}`);
    expect(none).toMatchObject({ counts: [], watched: [] });
  });

  it.each([
    [`to=${T0 + HOUR}`, 'from', 'BAD_REQUEST'],
    [`from=${T0}`, 'to', 'BAD_REQUEST'],
    [`from=${T0}&to=${T0}`, 'to', 'BAD_REQUEST'],
    [`from=${T0}&to=${T0 + HOUR}&bucket=week`, 'bucket', 'BAD_REQUEST'],
    [`from=${T0}&to=${T0 + HOUR}&timeZone=Asia/Phu_Nhuan`, 'timeZone', 'BAD_REQUEST'],
    [`ward=p07&line=pdl&from=${T0}&to=${T0 + HOUR}`, 'line', 'BAD_REQUEST'],
    [`ward=p07&camera=cam-01&from=${T0}&to=${T0 + 40 * DAY}&bucket=day`, 'from', 'RANGE_TOO_LARGE'],
    [`ward=p07&camera=cam-01&from=${T0}&to=${T0 + 20 * DAY}&bucket=minute`, 'bucket', 'RANGE_TOO_LARGE'],
  ])('answers 400 naming the field for %s', async (query, field, code) => {
    const r = await operator.get(`/api/counts?${query}`);
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ code, field });
    expect(String(r.json.error)).toMatch(new RegExp(`^${field}: `));
  });
});

describe('incidents with rules, and the OpenAPI document', () => {
  it('shows the rule that raised an incident, and null for a box that sends none', async () => {
    const ruled = seedIncident(hub.store, { start: T0 });
    hub.store.db.prepare("UPDATE incidents SET rule_id = 'stopped-on-crossing', rule_kind = 'dwell' WHERE id = ?").run(ruled.id);
    const plain = seedIncident(hub.store, { start: T0 - MINUTE });
    expect((await operator.get(`/api/incidents/${ruled.id}`)).json).toMatchObject({ rule: { id: 'stopped-on-crossing', kind: 'dwell' } });
    const list = (await operator.get(`/api/incidents?from=${T0 - MINUTE}&to=${T0 + 1}`)).json.incidents as { id: string; rule: unknown }[];
    expect(list.map((i) => [i.id, i.rule])).toEqual([[ruled.id, { id: 'stopped-on-crossing', kind: 'dwell' }], [plain.id, null]]);
  });

  it('describes the new routes and their parameters', async () => {
    const doc = (await new Client(base).get('/api/openapi.json')).json as { paths: Record<string, Record<string, { parameters: { name: string; required: boolean }[] }>> };
    expect(doc.paths['/api/sightings']!.get!.parameters.map((p) => p.name)).toEqual(['from', 'to', 'wards', 'cameras', 'near', 'radius', 'labels', 'colours', 'heading', 'headingSpread', 'line', 'direction', 'zone', 'minDwell', 'limit', 'cursor']);
    expect(doc.paths['/api/sightings/{id}/thumbnail']!.get).toBeDefined();
    const countParams = doc.paths['/api/counts']!.get!.parameters;
    expect(countParams.filter((p) => p.required).map((p) => p.name)).toEqual(['from', 'to']);
  });
});
