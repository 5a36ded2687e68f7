// The accounts and the audit log give the same answers on PostgreSQL as on SQLite: one sequence (users added, logins
// right, wrong and locked by the throttle, sessions resumed and touched, a password change ending the other
// sessions, a reset, an administrator's lock and unlock, a logout, an idle session ended) on a hub index of each
// engine, with one fake clock, must give the same answers and leave the same audit chain, row for row and hash for
// hash; and appends racing on PostgreSQL keep the chain whole.
import { describe, expect, it } from 'vitest';
import { AccountError, createAccounts, LoginThrottle, type Session } from '../../shared/accounts/index.js';
import { createAudit } from '../../shared/audit/index.js';
import type { Sql } from '../../shared/sql/sql.js';
import { bothIndexes } from '../../testing/hub/postgres-index.js';

const both = bothIndexes('hub/users/accounts-on-postgres.test.ts');
const { noPostgres } = both;

const T0 = Date.parse('2026-12-01T17:00:00Z');
const ADMIN = { actor: 'cli:root', ip: null };

/** What a session answers, without its random tokens. */
function seen(s: Session | undefined) {
  return s && { user: s.user.name, mustChange: s.user.mustChange, createdAt: s.createdAt, lastSeenAt: s.lastSeenAt, expiresAt: s.expiresAt };
}

/** An answer or the refusal it threw, by code and message. */
async function answer<T>(fn: () => Promise<T>): Promise<T | { error: string; message: string }> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof AccountError) return { error: err.code, message: err.message };
    throw err;
  }
}

/** The whole sequence on one engine: every answer in order, then the audit log and its verdict. */
async function sequence(sql: Sql) {
  let now = T0;
  const clock = () => now;
  const audit = createAudit(sql, { clock });
  const throttle = new LoginThrottle({ clock, audit, sleep: async () => {} });
  const accounts = createAccounts(sql, { audit, throttle, clock, wards: ['p07', 'p08'] });
  const said: [string, unknown][] = [];
  const say = (what: string, value: unknown) => said.push([what, value]);
  const login = async (name: string, password: string, ip: string) => {
    const r = await accounts.login(name, password, ip);
    say(`login ${name} from ${ip}`, 'session' in r ? { outcome: r.outcome, user: r.user, expiresAt: r.session.expiresAt } : r);
    return 'session' in r ? r.session.token : undefined;
  };
  const resume = async (what: string, token: string | undefined) => {
    const s = await accounts.resume(token ?? '');
    say(`resume ${what}`, seen(s));
    return s;
  };

  say('add lan', await accounts.addUser({ name: 'lan', role: 'operator', displayName: 'Nguyễn Lan', password: 'initial-pw-1' }, ADMIN));
  say('add minh', await accounts.addUser({ name: 'minh', role: 'officer', ward: 'p07', password: 'initial-pw-2' }, ADMIN));
  say('add lan again', await answer(() => accounts.addUser({ name: 'lan', role: 'operator', password: 'another-pw-3' }, ADMIN)));
  say('add a bad ward', await answer(() => accounts.addUser({ name: 'tam', role: 'officer', ward: 'p99', password: 'another-pw-3' }, ADMIN)));

  // a first login must change its password; the session is touched at most every 15 s
  now += 1000;
  const first = await login('lan', 'initial-pw-1', '10.0.0.5');
  now += 1000;
  const other = await login('lan', 'initial-pw-1', '10.0.0.6');
  now += 10_000;
  const session = (await resume('first, 10 s later (not touched)', first))!;
  now += 10_000;
  await resume('first, 20 s later (touched)', first);
  say('change with the wrong current password', await accounts.changePassword(session, 'not-it-pw-9', 'new-secret-7', '10.0.0.5'));
  say('change to a weak one', await accounts.changePassword(session, 'initial-pw-1', 'weakweak', '10.0.0.5'));
  say('change', await accounts.changePassword(session, 'initial-pw-1', 'new-secret-7', '10.0.0.5'));
  await resume('the other session after the change', other);
  await resume('the changing session after the change', first);

  // 5 wrong passwords from one address lock the name there, not elsewhere
  now += 60_000;
  for (let i = 0; i < 5; i++) {
    now += 1000;
    await login('lan', `guess-${i}-pw`, '198.51.100.7');
  }
  await login('lan', 'new-secret-7', '198.51.100.7');
  const elsewhere = await login('lan', 'new-secret-7', '10.0.0.7');
  await login('nobody', 'whatever-pw-1', '198.51.100.8');
  await login('nobody', 'whatever-pw-1', '198.51.100.8');

  // an administrator's reset ends every session of the user and asks for a change again
  say('reset lan', await accounts.resetPassword('lan', 'reset-pw-44', ADMIN));
  await resume('after the reset', elsewhere);
  say('reset nobody', await answer(() => accounts.resetPassword('nobody', 'reset-pw-44', ADMIN)));

  // an administrator's lock: told only to the right password, ends sessions; unlock lets in again
  now += 1000;
  const minh = await login('minh', 'initial-pw-2', '10.0.0.9');
  say('lock minh', await accounts.lock('minh', ADMIN));
  await resume('minh after the lock', minh);
  await login('minh', 'initial-pw-2', '10.0.0.9');
  await login('minh', 'wrong-pw-22', '10.0.0.9');
  say('unlock minh', await accounts.unlock('minh', ADMIN));
  say('lock nobody', await answer(() => accounts.lock('nobody', ADMIN)));
  const back = await login('minh', 'initial-pw-2', '10.0.0.9');

  // logout, and a session left idle for 31 minutes
  const out = await resume('minh before logout', back);
  await accounts.logout(out!, '10.0.0.9');
  await resume('minh after logout', back);
  const idle = await login('lan', 'reset-pw-44', '10.0.0.5');
  now += 31 * 60_000;
  await resume('lan after 31 idle minutes', idle);

  say('get lan', await accounts.get('lan'));
  say('get nobody', await accounts.get('nobody'));
  say('list', await accounts.list());

  await throttle.close(); // the bursts' rows
  const rows = await audit.list({ limit: 1000 });
  say('audit of lan', (await audit.list({ target: 'lan', limit: 3 })).map((r) => r.id));
  say('audit by system before 20', (await audit.list({ actor: 'system', before: 20 })).map((r) => r.id));
  return { said, rows, verdict: await audit.verify() };
}

describe.skipIf(noPostgres)('accounts and audit on PostgreSQL', () => {
  it('give the same answers and leave the same audit chain as on SQLite', async () => {
    const onLite = await sequence(both.lite().sql);
    const onPg = await sequence(both.pg());
    expect(onPg.said).toEqual(onLite.said);
    expect(onPg.rows).toEqual(onLite.rows);
    expect(onPg.verdict).toEqual(onLite.verdict);

    // what the sequence is meant to give, so that two equal but wrong answers cannot pass
    const said = Object.fromEntries(onLite.said);
    expect(said['add lan again']).toMatchObject({ error: 'EXISTS' });
    expect(said['add a bad ward']).toMatchObject({ error: 'BAD_INPUT', message: expect.stringContaining('unknown ward "p99"') });
    expect(said['login lan from 10.0.0.5']).toMatchObject({ outcome: 'must-change' });
    expect(said['resume first, 10 s later (not touched)']).toMatchObject({ createdAt: T0 + 1000, lastSeenAt: T0 + 1000 });
    expect(said['resume first, 20 s later (touched)']).toMatchObject({ lastSeenAt: T0 + 22_000 });
    expect(said['change with the wrong current password']).toEqual({ outcome: 'wrong' });
    expect(said['change to a weak one']).toMatchObject({ outcome: 'rule' });
    expect(said['change']).toMatchObject({ outcome: 'ok', user: { mustChange: false } });
    expect(said['resume the other session after the change']).toBeUndefined();
    expect(said['resume the changing session after the change']).toMatchObject({ user: 'lan' });
    expect(said['login lan from 198.51.100.7']).toMatchObject({ outcome: 'locked', until: expect.any(Number) });
    expect(said['login lan from 10.0.0.7']).toMatchObject({ outcome: 'ok' });
    expect(said['login nobody from 198.51.100.8']).toEqual({ outcome: 'wrong' });
    expect(said['reset lan']).toMatchObject({ mustChange: true });
    expect(said['resume after the reset']).toBeUndefined();
    expect(said['reset nobody']).toMatchObject({ error: 'NO_USER' });
    expect(said['lock minh']).toMatchObject({ locked: true });
    expect(said['resume minh after the lock']).toBeUndefined();
    expect(said['login minh from 10.0.0.9']).toMatchObject({ outcome: 'must-change' }); // the last one: after the unlock
    expect(said['unlock minh']).toMatchObject({ locked: false });
    expect(said['lock nobody']).toMatchObject({ error: 'NO_USER' });
    expect(said['resume minh after logout']).toBeUndefined();
    expect(said['resume lan after 31 idle minutes']).toBeUndefined();
    expect(said['get nobody']).toBeUndefined();
    expect((said['list'] as { name: string }[]).map((u) => u.name)).toEqual(['lan', 'minh']);
    // the administrator's lock is told only to the right password, in the order tried
    expect(onLite.said.filter(([what]) => what === 'login minh from 10.0.0.9').map(([, r]) => (r as { outcome: string }).outcome)).toEqual(['must-change', 'locked', 'wrong', 'must-change']);

    const actions = onLite.rows.map((r) => `${r.action} ${r.actor} ${r.target ?? ''}`).reverse();
    expect(actions).toEqual([
      'user.add cli:root lan',
      'user.add cli:root minh',
      'login lan lan',
      'login lan lan',
      'login.failed lan lan',
      'password.change lan lan',
      ...Array.from({ length: 5 }, () => 'login.failed lan lan'),
      'user.lock system lan',
      'login lan lan',
      'user.passwd cli:root lan',
      'login minh minh',
      'user.lock cli:root minh',
      'login.failed minh minh',
      'login.failed minh minh',
      'user.unlock cli:root minh',
      'login minh minh',
      'logout minh minh',
      'login lan lan',
      'login.burst system ',
      'login.burst system ',
    ]);
    expect(onLite.rows.map((r) => r.id)).toEqual(Array.from({ length: actions.length }, (_, i) => actions.length - i));
    expect(onLite.verdict).toMatchObject({ ok: true, rows: actions.length });
    expect(actions).toHaveLength(24);
    expect(said['audit of lan']).toEqual([22, 14, 13]);
    expect(said['audit by system before 20']).toEqual([12]);
  }, 120_000);

  it('keeps the chain whole, ids without gaps, when many appends race on PostgreSQL', async () => {
    const pg = both.pg();
    // four audit logs on one index, as four hub processes have: each appends its own rows one at a time, the four race
    const audits = Array.from({ length: 4 }, () => createAudit(pg));
    const audit = audits[0]!;
    const before = (await audit.verify()) as { ok: true; rows: number };
    expect(before.ok).toBe(true);
    const rows = await Promise.all(Array.from({ length: 64 }, (_, i) => audits[i % 4]!.record({ actor: `user${i % 4}`, action: 'search', target: null, detail: { n: i } })));
    expect(rows.map((r) => r.id).sort((a, b) => a - b)).toEqual(Array.from({ length: 64 }, (_, i) => before.rows + 1 + i));
    expect(await audit.verify()).toMatchObject({ ok: true, rows: before.rows + 64 });
  }, 60_000);
});
