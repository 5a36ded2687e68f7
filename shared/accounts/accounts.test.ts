import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditMigrations, createAudit } from '../audit/index.js';
import { openDb } from '../db.js';
import { sqliteSql } from '../sql/sqlite.js';
import type { Audit } from '../audit/index.js';
import { createAccounts, type Accounts } from './accounts.js';
import { LoginThrottle } from './login-throttle.js';
import { accountMigrations } from './schema.js';

const ADMIN = { actor: 'cli:root' };

function setup(): { accounts: Accounts; throttle: LoginThrottle; audit: Audit; clock: { now: number }; delays: number[]; actions: () => Promise<string[]> } {
  const db = openDb(path.join(mkdtempSync(path.join(tmpdir(), 'ww-acc-')), 'a.db'), [...accountMigrations, ...auditMigrations]);
  const clock = { now: 1_764_000_000_000 };
  const sql = sqliteSql(db);
  const audit = createAudit(sql, { clock: () => clock.now });
  const delays: number[] = [];
  // the delays are noted, not waited out: the clock here is the test's
  const throttle = new LoginThrottle({ clock: () => clock.now, audit, sleep: async (ms) => void delays.push(ms) });
  const accounts = createAccounts(sql, { audit, throttle, clock: () => clock.now, wards: ['p07', 'p08'] });
  return { accounts, throttle, audit, clock, delays, actions: async () => (await audit.list({ limit: 1000 })).reverse().map((r) => `${r.action}${r.target ? ` ${r.target}` : ''}`) };
}

describe('accounts', () => {
  let t: ReturnType<typeof setup>;
  beforeAll(async () => {
    t = setup();
    await t.accounts.addUser({ name: 'lan', role: 'operator', password: 'initial-pw-1' }, ADMIN);
    await t.accounts.addUser({ name: 'minh', role: 'officer', ward: 'p07', displayName: 'Trần Minh', password: 'initial-pw-2' }, ADMIN);
  });

  it('refuses bad users with the field to fix', async () => {
    await expect(t.accounts.addUser({ name: 'Bad Name', role: 'operator', password: 'abcdefg1' }, ADMIN)).rejects.toMatchObject({ field: 'name' });
    await expect(t.accounts.addUser({ name: 'x', role: 'boss', password: 'abcdefg1' }, ADMIN)).rejects.toThrow(/role: must be one of officer, operator, admin, city/);
    await expect(t.accounts.addUser({ name: 'x', role: 'officer', password: 'abcdefg1' }, ADMIN)).rejects.toThrow(/ward: an officer needs/);
    await expect(t.accounts.addUser({ name: 'x', role: 'officer', ward: 'p99', password: 'abcdefg1' }, ADMIN)).rejects.toThrow(/unknown ward "p99"; use one of: p07, p08/);
    await expect(t.accounts.addUser({ name: 'x', role: 'operator', password: 'short1' }, ADMIN)).rejects.toThrow(/password: too short/);
    await expect(t.accounts.addUser({ name: 'lan', role: 'operator', password: 'abcdefg12' }, ADMIN)).rejects.toMatchObject({ code: 'EXISTS' });
  });

  it('answers a first login with must-change, and a login after the change with ok', async () => {
    const first = await t.accounts.login('minh', 'initial-pw-2', '10.0.0.5');
    expect(first.outcome).toBe('must-change');
    if (first.outcome !== 'must-change') return;
    const session = (await t.accounts.resume(first.session.token))!;
    expect(session.user).toMatchObject({ name: 'minh', role: 'officer', ward: 'p07', mustChange: true });
    expect(await t.accounts.changePassword(session, 'initial-pw-2', 'tooshort', null)).toMatchObject({ outcome: 'rule', message: expect.stringMatching(/no digit/) });
    expect(await t.accounts.changePassword(session, 'initial-pw-2', 'initial-pw-2', null)).toMatchObject({ outcome: 'rule' });
    expect(await t.accounts.changePassword(session, 'initial-pw-2', 'new-secret-7', null)).toMatchObject({ outcome: 'ok', user: { mustChange: false } });
    expect((await t.accounts.login('minh', 'new-secret-7', null)).outcome).toBe('ok');
    expect((await t.accounts.login('minh', 'initial-pw-2', null)).outcome).toBe('wrong');
  });

  it('says wrong for an unknown name, the same as for a wrong password', async () => {
    expect(await t.accounts.login('nobody', 'whatever1', null)).toEqual({ outcome: 'wrong' });
  });

  it('locks the name for that address after 5 wrong passwords in 30 s, refuses even the right one from there for 5 minutes, then lets it in', async () => {
    const { accounts, clock } = t;
    const results: string[] = [];
    for (let i = 0; i < 5; i++) {
      clock.now += 2000;
      results.push((await accounts.login('lan', `wrong-${i}`, '10.0.0.9')).outcome);
    }
    expect(results).toEqual(['wrong', 'wrong', 'wrong', 'wrong', 'locked']);
    clock.now += 1000;
    expect(await accounts.login('lan', 'initial-pw-1', '10.0.0.9')).toEqual({ outcome: 'locked', until: clock.now - 1000 + 5 * 60_000 });
    // the rightful user elsewhere is not locked out
    expect((await accounts.login('lan', 'initial-pw-1', '10.0.0.5')).outcome).toBe('must-change');
    clock.now += 4 * 60_000;
    expect((await accounts.login('lan', 'initial-pw-1', '10.0.0.9')).outcome).toBe('locked');
    clock.now += 60_000;
    expect((await accounts.login('lan', 'initial-pw-1', '10.0.0.9')).outcome).toBe('must-change');
    expect((await t.actions()).filter((a) => a === 'user.lock lan')).toHaveLength(1);
    expect((await t.audit.list({ target: 'lan', limit: 100 })).find((r) => r.action === 'user.lock')).toMatchObject({ actor: 'system', ip: '10.0.0.9', detail: expect.stringContaining('from this address') });
  });

  it('never ends sessions on a lock after failed logins; an administrator\'s lock does', async () => {
    const { accounts, clock } = t;
    clock.now += 60 * 60_000;
    const mine = await accounts.login('minh', 'new-secret-7', '10.0.0.5');
    if (mine.outcome !== 'ok') throw new Error(mine.outcome);
    for (let i = 0; i < 5; i++) await accounts.login('minh', `guess-${i}-x`, '198.51.100.7');
    expect((await accounts.login('minh', 'new-secret-7', '198.51.100.7')).outcome).toBe('locked');
    expect((await accounts.resume(mine.session.token))?.user.name).toBe('minh');
    expect((await accounts.get('minh'))!.locked).toBe(false);
  });

  it('answers a name that does not exist as it answers one that does: wrong, then locked on the 5th failure', async () => {
    const { accounts, clock } = t;
    clock.now += 60 * 60_000;
    const known: unknown[] = [];
    const unknown: unknown[] = [];
    for (let i = 0; i < 5; i++) {
      clock.now += 1000;
      known.push(await accounts.login('lan', `nope-${i}-x`, '192.0.2.1'));
      unknown.push(await accounts.login('khong-co', `nope-${i}-x`, '192.0.2.2'));
    }
    expect(unknown).toEqual(known);
    expect(known.at(-1)).toEqual({ outcome: 'locked', until: clock.now + 5 * 60_000 });
  });

  it('tells an administrator\'s lock only to someone who gives the right password', async () => {
    const { accounts, clock } = t;
    clock.now += 60 * 60_000;
    await accounts.lock('minh', ADMIN);
    expect(await accounts.login('minh', 'not-her-pass-1', '10.1.0.1')).toEqual({ outcome: 'wrong' });
    expect(await accounts.login('minh', 'new-secret-7', '10.1.0.2')).toEqual({ outcome: 'locked', until: null });
    await accounts.unlock('minh', ADMIN);
  });

  it('refuses an address after 10 failures in 10 minutes, whatever the names, without checking a password, after growing delays', async () => {
    const { accounts, clock, throttle, delays } = t;
    clock.now += 60 * 60_000;
    delays.length = 0;
    const checksBefore = throttle.stats().checks.http;
    const outcomes: string[] = [];
    for (let i = 0; i < 14; i++) {
      clock.now += 1000;
      outcomes.push((await accounts.login(i % 4 === 1 ? 'lan' : `ghost${i}`, 'wrong-pass-1', '203.0.113.50')).outcome);
    }
    expect(outcomes).toEqual([...Array<string>(9).fill('wrong'), ...Array<string>(5).fill('throttled')]);
    expect(delays).toEqual([250, 500, 1000, 2000, 2000]);
    expect(throttle.stats().checks.http - checksBefore).toBe(10);
    expect(throttle.stats()).toMatchObject({ addressesBlocked: 1, refused: { address: 4 } });
    // the right password from there is refused too, until the block ends; from elsewhere it works
    expect((await accounts.login('lan', 'initial-pw-1', '203.0.113.50')).outcome).toBe('throttled');
    expect((await accounts.login('lan', 'initial-pw-1', '203.0.113.51')).outcome).toBe('must-change');
    clock.now += 10 * 60_000;
    expect((await accounts.login('lan', 'initial-pw-1', '203.0.113.50')).outcome).toBe('must-change');
  });

  it('audits unknown names and refused attempts once per burst of an address, not once per attempt', async () => {
    const { accounts, clock, throttle, audit } = t;
    clock.now += 60 * 60_000;
    await throttle.sweep(); // ends the bursts of the tests before
    const before = (await audit.list({ limit: 1 }))[0]!.id;
    for (let i = 0; i < 40; i++) {
      clock.now += 500;
      await accounts.login(`nobody${i % 3}`, 'wrong-pass-1', '198.51.100.99');
    }
    const rows = async () => (await audit.list({ limit: 1000 })).filter((r) => r.id > before);
    expect(await rows()).toEqual([]);
    clock.now += 4 * 60_000;
    await throttle.sweep();
    expect(await rows()).toEqual([]); // not quiet for 5 minutes yet
    clock.now += 60_000;
    await throttle.sweep();
    expect(await rows()).toHaveLength(1);
    expect((await rows())[0]).toMatchObject({ action: 'login.burst', actor: 'system', ip: '198.51.100.99' });
    expect(JSON.parse((await rows())[0]!.detail!)).toMatchObject({ failures: 10, unknownNames: 10, refused: 30, addressBlocked: true, names: ['nobody0', 'nobody1', 'nobody2'], realms: ['http'] });
  });

  it('does not lock after 4 wrong and then the right one', async () => {
    const { accounts, clock } = t;
    clock.now += 60 * 60_000;
    for (let i = 0; i < 4; i++) {
      clock.now += 1000;
      expect((await accounts.login('lan', 'nope-1234', null)).outcome).toBe('wrong');
    }
    clock.now += 1000;
    expect((await accounts.login('lan', 'initial-pw-1', null)).outcome).toBe('must-change');
    // the right password reset the count: four more wrong ones do not lock either (they wait: the address failed before)
    for (let i = 0; i < 4; i++) expect((await accounts.login('lan', 'nope-1234', null)).outcome).toBe('wrong');
    clock.now += 1000;
    expect((await accounts.login('lan', 'initial-pw-1', null)).outcome).toBe('must-change');
  });

  it('does not lock when the wrong attempts are spread over more than 30 s', async () => {
    const { accounts, clock } = t;
    clock.now += 60 * 60_000;
    for (let i = 0; i < 6; i++) {
      clock.now += 8000; // 6 failures over 48 s: never 5 within 30 s
      expect((await accounts.login('lan', 'nope-1234', null)).outcome).toBe('wrong');
    }
    expect((await accounts.login('lan', 'initial-pw-1', null)).outcome).toBe('must-change');
  });

  it('ends sessions after 30 idle minutes and 12 hours, on logout and on an administrator\'s lock', async () => {
    const { accounts, clock } = t;
    const login = async () => {
      const r = await accounts.login('minh', 'new-secret-7', null);
      if (r.outcome !== 'ok') throw new Error(r.outcome);
      return r.session.token;
    };
    const idle = await login();
    clock.now += 29 * 60_000;
    expect(await accounts.resume(idle)).toBeDefined();
    clock.now += 30 * 60_000;
    expect(await accounts.resume(idle)).toBeUndefined();

    const busy = await login();
    for (let step = 0; step < 35; step++) {
      clock.now += 20 * 60_000; // used every 20 minutes: never idle for 30
      expect(await accounts.resume(busy)).toBeDefined();
    }
    clock.now += 20 * 60_000; // 12 h after login
    expect(await accounts.resume(busy)).toBeUndefined();

    const out = await login();
    await accounts.logout((await accounts.resume(out))!, null);
    expect(await accounts.resume(out)).toBeUndefined();

    const locked = await login();
    await accounts.lock('minh', ADMIN);
    expect(await accounts.resume(locked)).toBeUndefined();
    expect((await accounts.login('minh', 'new-secret-7', null)).outcome).toBe('locked');
    await accounts.unlock('minh', ADMIN);
    expect((await accounts.login('minh', 'new-secret-7', null)).outcome).toBe('ok');
  });

  it('audits every change in order', async () => {
    const actions = await t.actions();
    expect(actions.slice(0, 2)).toEqual(['user.add lan', 'user.add minh']);
    expect(actions).toContain('password.change minh');
    expect(actions).toContain('logout minh');
    expect(actions).toContain('user.unlock minh');
    expect(actions.filter((a) => a.startsWith('login.failed')).length).toBeGreaterThanOrEqual(15);
    // unknown names have no row of their own
    expect((await t.audit.list({ limit: 1000 })).filter((r) => r.action === 'login.failed' && r.actor.startsWith('nobody'))).toEqual([]);
  });
});
