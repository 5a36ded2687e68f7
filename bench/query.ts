// bench:query — the operator's incident list on a year of a district: 1 000 000 incidents (15 wards × 32
// cameras), then 1 000 random filtered queries (a third of them next pages) through createIncidentQuery, the
// function the API calls (no HTTP). Prints the query plans it chose, p50/p95/p99/max; last line one JSON.
//   npm run bench:query -- --incidents 1000000 --queries 1000 [--keep]   (--keep: leave the seeded store for
//   another run with --root DIR, which skips seeding)
import { rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createIncidentQuery, incidentSql, type IncidentFilter } from '../hub/api/incident-query.js';
import type { Cursor } from '../hub/store/cursor.js';
import { openHubStore } from '../hub/store/store.js';
import { randomSource } from '../test-fixtures/camera/street-scene.js';
import { seededUlid } from './seeded-ulid.js';

const { values } = parseArgs({
  options: { incidents: { type: 'string', default: '1000000' }, queries: { type: 'string', default: '1000' }, seed: { type: 'string', default: '7' }, keep: { type: 'boolean', default: false }, root: { type: 'string' } },
});
let N = Number(values.incidents);
const Q = Number(values.queries);

// seeded pseudo-random numbers (mulberry32): the same district and the same queries on every run
const rnd = randomSource(Number(values.seed));
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
const weighted = <T>(xs: readonly (readonly [T, number])[]): T => {
  let r = rnd() * xs.reduce((a, [, w]) => a + w, 0);
  for (const [x, w] of xs) if ((r -= w) < 0) return x;
  return xs[xs.length - 1]![0];
};

// ULIDs of the incidents' start times, the same on every run (a third of the seeding time with the ulid package)
const ulidAt = seededUlid(rnd);

const WARDS = Array.from({ length: 15 }, (_, i) => `p${String(i + 1).padStart(2, '0')}`);
const CAMERAS = Array.from({ length: 32 }, (_, i) => `cam-${String(i + 1).padStart(2, '0')}`);
const LABELS = [['car', 35], ['motorcycle', 30], ['person', 20], ['truck', 7], ['bus', 4], ['bicycle', 4]] as const;
const ZONES = ['crossing', 'school', 'market', 'bus-stop', 'park', 'gate'];
const YEAR = 365 * 86_400_000;
const END = Date.UTC(2026, 10, 1);
const START = END - YEAR;

const ms = (t: bigint) => Number(t) / 1e6;
const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const round = (x: number) => Math.round(x * 100) / 100;

const dir = values.root ?? mkdtempSync(path.join(tmpdir(), 'ww-bench-query-'));
try {
  const store = openHubStore(dir);
  const db = store.db;
  const seeded = values.root !== undefined;
  // seeding only: a bench db need not survive a crash, so no journal and no fsync while the year goes in (the
  // queries below run in WAL mode, as on the hub); 256 MiB of cache keeps the indexes of a year in memory
  if (!seeded) {
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
  }
  db.pragma('cache_size = -262144');
  await store.syncWards(WARDS.map((id) => ({ id, name: id })));
  // each camera watches 0–2 zones; an incident enters some of them
  const cameraZones = new Map<string, string[]>();
  for (const w of WARDS) for (const c of CAMERAS) cameraZones.set(`${w}/${c}`, Array.from({ length: Math.floor(rnd() * 3) }, () => pick(ZONES)).filter((z, i, a) => a.indexOf(z) === i));

  const insert = db.prepare(`INSERT INTO incidents (id, ward, camera, label, score, top_score, box, zones, start, end, state, last_msg_id,
    clip_state, forwarded, forward_checked, created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, '{"x":0.1,"y":0.2,"w":0.3,"h":0.2}', ?, ?, ?, 'ended', ?, 'present', ?, 1, ?, ?)`);
  const t0 = process.hrtime.bigint();
  if (seeded) N = (db.prepare('SELECT count(*) AS n FROM incidents').get() as { n: number }).n;
  // incidents arrive in time order, as from the wards: inserts land at the end of the time indexes
  const starts = Float64Array.from({ length: seeded ? 0 : N }, () => START + Math.floor(rnd() * YEAR)).sort();
  db.transaction(() => {
    for (let i = 0; i < starts.length; i++) {
      const ward = pick(WARDS);
      const camera = pick(CAMERAS);
      const start = starts[i]!;
      const id = ulidAt(start);
      const score = round(0.5 + rnd() * 0.49);
      const zones = (cameraZones.get(`${ward}/${camera}`) ?? []).filter(() => rnd() < 0.6);
      insert.run(id, ward, camera, weighted(LABELS), score, score, JSON.stringify(zones), start, start + 15_000, id, rnd() < 0.03 ? 1 : 0, start, start);
    }
  })();
  const seedMs = ms(process.hrtime.bigint() - t0);
  if (!seeded) {
    db.pragma('journal_mode = WAL');
    process.stdout.write(`seeded ${N} incidents in ${(seedMs / 1000).toFixed(1)} s (${Math.round(N / (seedMs / 1000))}/s, one transaction, every index and the zone trigger live)\n`);
  }

  // what an operator asks: some filters, sometimes the next page
  const filters: IncidentFilter[] = [];
  for (let i = 0; i < Q; i++) {
    const f: IncidentFilter = {};
    if (rnd() < 0.5) f.ward = pick(WARDS);
    if (f.ward && rnd() < 0.5) f.camera = pick(CAMERAS);
    if (rnd() < 0.4) f.label = weighted(LABELS);
    if (rnd() < 0.4) {
      const span = pick([3_600_000, 86_400_000, 7 * 86_400_000, 30 * 86_400_000]);
      f.from = START + Math.floor(rnd() * (YEAR - span));
      f.to = f.from + span;
    }
    if (rnd() < 0.2) f.zone = pick(ZONES);
    if (rnd() < 0.3) f.minScore = pick([0.6, 0.7, 0.8, 0.9, 0.95]);
    if (rnd() < 0.15) f.forwarded = rnd() < 0.5;
    filters.push(f);
  }
  const query = createIncidentQuery(store.sql);
  // warm the page cache and the statement cache once, as a running hub would be
  for (const f of filters.slice(0, 50)) await query(f, { limit: 50 });

  const times: { ms: number; f: IncidentFilter; next: boolean }[] = [];
  for (const f of filters) {
    let after: Cursor | undefined;
    const nextPage = rnd() < 0.33;
    if (nextPage) after = (await query(f, { limit: 50 })).next ?? undefined;
    const t = process.hrtime.bigint();
    await query(f, { limit: 50, after });
    times.push({ ms: ms(process.hrtime.bigint() - t), f, next: after !== undefined });
  }
  const sorted = times.map((x) => x.ms).sort((a, b) => a - b);
  const p50 = pct(sorted, 50);
  const p95 = pct(sorted, 95);
  const p99 = pct(sorted, 99);
  const max = sorted[sorted.length - 1]!;

  // the plans SQLite chose, for the slowest shapes and the common ones
  const shape = (f: IncidentFilter) => Object.keys(f).filter((k) => f[k as keyof IncidentFilter] !== undefined).join('+') || '(none)';
  const slowest = [...times].sort((a, b) => b.ms - a.ms).slice(0, 5);
  process.stdout.write('\nslowest queries and their plans:\n');
  for (const x of slowest) {
    const { sql, params } = incidentSql(x.f, x.next);
    const plan = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params(x.f, x.next ? { start: END, id: '7ZZZZZZZZZZZZZZZZZZZZZZZZZ' } : undefined, 51)) as { detail: string }[];
    process.stdout.write(`  ${x.ms.toFixed(2)} ms  ${shape(x.f)}${x.next ? ' (next page)' : ''}\n    ${plan.map((p) => p.detail).join('\n    ')}\n`);
  }
  const byShape = new Map<string, number[]>();
  for (const x of times) (byShape.get(shape(x.f)) ?? byShape.set(shape(x.f), []).get(shape(x.f))!).push(x.ms);
  const worstShapes = [...byShape.entries()].map(([k, v]) => [k, Math.max(...v), v.length] as const).sort((a, b) => b[1] - a[1]).slice(0, 8);
  process.stdout.write('\nworst filter shapes (max ms, count):\n');
  for (const [k, m, n] of worstShapes) process.stdout.write(`  ${m.toFixed(2).padStart(8)}  ×${n}  ${k}\n`);

  const load = loadavg().map((x) => x.toFixed(2)).join(' ');
  process.stdout.write(`\n${Q} queries on ${N} incidents: p50 ${p50.toFixed(2)} ms, p95 ${p95.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, max ${max.toFixed(2)} ms (load average ${load})\n`);
  await store.close();
  process.stdout.write(JSON.stringify({ incidents: N, queries: Q, p50_ms: round(p50), p95_ms: round(p95), p99_ms: round(p99), max_ms: round(max), seed_s: round(seedMs / 1000), load1: loadavg()[0] }) + '\n');
} finally {
  if (values.keep || values.root) process.stdout.write(`kept the db in ${dir}\n`);
  else if (!values.root) rmSync(dir, { recursive: true, force: true });
}
