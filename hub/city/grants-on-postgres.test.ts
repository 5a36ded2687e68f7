// The city's grants and RTSP credentials give the same answers on PostgreSQL as on SQLite: one story (grants, checks
// of every kind of refusal, revokes, an emergency, its end noticed by two hub processes at once, a restart) told on a
// hub index of each engine, every answer and every audit row compared, the grants' ids named by their order.
import { beforeAll, describe, expect, it } from 'vitest';
import { appendAudit } from '../../shared/audit/audit.js';
import { verifyChain, type AuditHead, type AuditRow } from '../../shared/audit/chain.js';
import type { Sql } from '../../shared/sql/sql.js';
import { bothIndexes } from '../../testing/hub/postgres-index.js';
import { RtspCredentials } from '../city-rtsp/credentials.js';
import type { HubStore } from '../store/store.js';
import { CityGrants } from './grants.js';
import type { CityWhat } from './policy.js';

const both = bothIndexes('hub/city/grants-on-postgres.test.ts');
const { noPostgres } = both;
let lite: HubStore;

const T0 = 1_764_061_200_000;
const MIN = 60_000;

/** The story on one engine: what each call answered, in order, and the audit log after it, ids named g1, g2, … */
async function story(sql: Sql): Promise<unknown[]> {
  let now = T0;
  const clock = () => now;
  const audit = { recordIn: (t: Sql, e: Parameters<typeof appendAudit>[1]) => appendAudit(t, e, clock()) };
  const grants = new CityGrants({ sql, clock, audit });
  const names = new Map<string, string>();
  const name = (id: string) => names.get(id) ?? names.set(id, `g${names.size + 1}`).get(id)!;
  const said: unknown[] = [];
  // every id the answers carry, by its name (ULIDs differ between the two runs)
  const say = (what: string, answer: unknown) => said.push([what, JSON.parse(JSON.stringify(answer ?? null, (k, v: unknown) => (typeof v === 'string' && /^[0-9A-HJKMNP-TV-Z]{26}$/.test(v) ? name(v) : v)))]);
  let told = 0;
  grants.onChange(() => told++);
  const checks: [string, string, CityWhat][] = [
    ['p01', 'cam-1', 'live'],
    ['p01', 'cam-1', { from: T0 - 50 * MIN, to: T0 - 40 * MIN }],
    ['p01', 'cam-1', { from: T0 - 90 * MIN, to: T0 - 80 * MIN }],
    ['p01', 'cam-2', 'live'],
    ['p01', 'cam-2', { from: T0 - 110 * MIN, to: T0 - 70 * MIN }],
    ['p02', 'cam-1', 'live'],
  ];
  const checkAll = async (when: string) => {
    for (const [ward, camera, what] of checks) say(`${when}: ${ward}/${camera} ${JSON.stringify(what)}`, await grants.check(ward, camera, what));
  };

  const a = await grants.grant({ by: 'lan', ward: 'p01', camera: 'cam-1', minutes: 10, live: true, recordings: { from: T0 - 60 * MIN, to: T0 }, reason: 'ngập nước ở chợ', ip: '10.0.0.5' });
  say('grant a', a);
  const b = await grants.grant({ by: 'mai', ward: 'p01', camera: null, minutes: 30, live: false, recordings: { from: T0 - 120 * MIN, to: T0 - 60 * MIN }, reason: 'festival' });
  say('grant b', b);
  await checkAll('two grants');
  say('active', await grants.active());
  say('revoke b', await grants.revoke(b.id, 'lan'));
  say('revoke b again', await grants.revoke(b.id, 'lan'));
  say('revoke none', await grants.revoke('01KAXG4Z7M5P2V8N3Q6R9T0W1Y', 'lan'));
  await checkAll('b revoked');
  say('get b', await grants.get(b.id));
  now += MIN;
  const e = await grants.openEmergency({ by: 'root', hours: 2, reason: 'typhoon' });
  say('open emergency', e);
  say('emergency', await grants.emergency());
  await checkAll('emergency');
  now += 10 * MIN;
  say('sweep: a ended', await grants.sweep());
  await checkAll('a ended');
  now += 2 * 60 * MIN;
  // two hub processes notice the emergency's end at once: it is closed in the audit once
  const other = new CityGrants({ sql, clock, audit });
  say('two sweeps: the emergency ended', await Promise.all([grants.sweep(), other.sweep()]));
  say('sweep again', await grants.sweep());
  say('a restarted hub sweeps', await new CityGrants({ sql, clock, audit }).sweep());
  say('emergency after', await grants.emergency());
  say('active after', await grants.active());
  await checkAll('all ended');
  say('listeners told', told);
  // the chain holds, also where two processes wrote at once (on PostgreSQL one of them retried)
  const head = await sql.get<AuditHead>('SELECT count, last_id, last_hash FROM audit_head WHERE one = 1');
  say('audit chain', verifyChain(await sql.all<AuditRow>('SELECT * FROM audit ORDER BY id'), head!).ok);
  say('audit', await sql.all('SELECT id, at, actor, action, target, detail, ip FROM audit ORDER BY id'));
  return said;
}

/** The RTSP credentials: made, replaced, refused, read back ("user" quoted, or PostgreSQL reads current_user). */
async function credentials(sql: Sql): Promise<unknown[]> {
  const audit = { recordIn: (t: Sql, e: Parameters<typeof appendAudit>[1]) => appendAudit(t, e, T0) };
  for (const [user, role, locked] of [['city-vms', 'city', 0], ['city-old', 'city', 1], ['lan', 'operator', 0], ['postgres', 'city', 0]] as const) {
    await sql.run('INSERT INTO users (name, display_name, role, password_hash, locked, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [user, user, role, 'x', locked, T0, T0]);
  }
  const creds = new RtspCredentials({ sql, audit, clock: () => T0 });
  const said: unknown[] = [];
  const passwords = new Map<string, string>();
  for (const user of ['city-vms', 'city-vms', 'city-old', 'postgres', 'lan', 'nobody']) {
    try {
      passwords.set(user, await creds.make(user, { actor: 'cli:test', ip: null }));
      said.push([user, 'made']);
    } catch (err) {
      said.push([user, (err as Error).message]);
    }
  }
  // the HA1 is the password's: compared by whether it is there, as the password is random
  for (const user of ['city-vms', 'city-old', 'postgres', 'lan', 'nobody']) said.push([user, (await creds.ha1(user))?.length ?? 'none']);
  said.push(await sql.all("SELECT actor, action, target, detail FROM audit WHERE action = 'city.rtsp.credential' ORDER BY id"));
  return said;
}

beforeAll(() => {
  lite = both.lite();
});

describe.skipIf(noPostgres)('the city\'s grants and credentials on PostgreSQL and SQLite: the same answers', () => {
  it('grant, check, revoke, emergency, sweep (by two processes at once), restart', async () => {
    const sqlite = await story(lite.sql);
    // the story says something: refusals of each kind, the emergency closed once by the system
    expect(JSON.stringify(sqlite)).toMatch(/was revoked/);
    expect(JSON.stringify(sqlite)).toMatch(/ended at/);
    expect((sqlite.at(-1) as [string, { action: string }[]])[1].filter((r) => r.action === 'city.emergency.close')).toHaveLength(1);
    expect(await story(both.pg())).toEqual(sqlite);
  });

  it('RTSP credentials: made, replaced, refused, read back for the right user only', async () => {
    const sqlite = await credentials(lite.sql);
    expect(sqlite.slice(0, 6)).toEqual([['city-vms', 'made'], ['city-vms', 'made'], ['city-old', 'made'], ['postgres', 'made'], ['lan', expect.stringMatching(/role operator/)], ['nobody', expect.stringMatching(/no account/)]]);
    // a locked city account has none; "postgres" (PostgreSQL's current_user here) only its own
    expect(sqlite.slice(6, 11)).toEqual([['city-vms', 32], ['city-old', 'none'], ['postgres', 32], ['lan', 'none'], ['nobody', 'none']]);
    expect(await credentials(both.pg())).toEqual(sqlite);
  });
});
