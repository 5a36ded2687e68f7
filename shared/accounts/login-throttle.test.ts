import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../log.js';
import { LoginThrottle, type LoginAttempt } from './login-throttle.js';

const NOW = 1_764_000_000_000;

function setup(options: ConstructorParameters<typeof LoginThrottle>[0] = {}) {
  const clock = { now: NOW };
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const rows: unknown[] = [];
  const throttle = new LoginThrottle({
    clock: () => clock.now,
    logger: createLogger({ name: 'test', destination }),
    audit: { record: (entry) => (rows.push(entry), undefined as never) },
    sleep: async () => {},
    ...options,
  });
  return { throttle, clock, lines, rows };
}

const who = (address: string, name = 'lan', realm: LoginAttempt['realm'] = 'http'): LoginAttempt => ({ realm, address, name, known: name === 'lan' });
const wrong = async () => false;

function held() {
  let release!: (ok: boolean) => void;
  const result = new Promise<boolean>((resolve) => (release = resolve));
  return { release, check: () => result };
}

describe('LoginThrottle', () => {
  it('runs at most two checks of one address at once; a third is refused as busy without running', async () => {
    const { throttle } = setup({ checks: { concurrent: 4, waiting: 4 } });
    const [a, b] = [held(), held()];
    const first = throttle.attempt(who('192.0.2.1', 'a1'), a.check);
    const second = throttle.attempt(who('192.0.2.1', 'a2'), b.check);
    let ran = false;
    expect(await throttle.attempt(who('192.0.2.1', 'a3'), async () => (ran = true))).toEqual({ outcome: 'refused', reason: 'busy', until: NOW + 1000 });
    expect(ran).toBe(false);
    // another address is not held up by it (the checks of all addresses together are bounded apart: below)
    expect(await throttle.attempt(who('192.0.2.2'), async () => true)).toEqual({ outcome: 'ok' });
    a.release(false);
    b.release(false);
    expect(await Promise.all([first, second])).toEqual([{ outcome: 'wrong' }, { outcome: 'wrong' }]);
    expect(throttle.stats()).toMatchObject({ checks: { http: 3 }, failures: { http: 2 }, refused: { busy: 1 }, checksRunning: 0 });
  });

  it('bounds the password checks of all addresses together, and refuses past the queue', async () => {
    const { throttle } = setup({ checks: { concurrent: 1, waiting: 1 } });
    const a = held();
    const running = throttle.attempt(who('198.51.100.1'), a.check);
    const waiting = throttle.attempt(who('198.51.100.2'), async () => true);
    await Promise.resolve();
    expect(throttle.stats()).toMatchObject({ checksRunning: 1, checksWaiting: 1 });
    expect(await throttle.attempt(who('198.51.100.3'), async () => true)).toMatchObject({ outcome: 'refused', reason: 'busy' });
    a.release(true);
    expect(await Promise.all([running, waiting])).toEqual([{ outcome: 'ok' }, { outcome: 'ok' }]);
  });

  it('keeps a ward\'s MQTT name apart from a user of the same name', async () => {
    const { throttle } = setup();
    for (let i = 0; i < 5; i++) await throttle.attempt(who('203.0.113.9', 'ward-p07', 'mqtt'), wrong);
    expect(await throttle.attempt(who('203.0.113.9', 'ward-p07', 'mqtt'), wrong)).toMatchObject({ outcome: 'refused', reason: 'pair' });
    expect(await throttle.attempt(who('203.0.113.9', 'ward-p07', 'http'), async () => true)).toEqual({ outcome: 'ok' });
  });

  it('ends an attempt whose check throws without counting it a failure', async () => {
    const { throttle } = setup();
    await expect(throttle.attempt(who('192.0.2.7'), () => Promise.reject(new Error('scrypt: out of memory')))).rejects.toThrow('out of memory');
    expect(throttle.stats()).toMatchObject({ checks: { http: 1 }, failures: { http: 0 }, checksRunning: 0 });
    expect(await throttle.attempt(who('192.0.2.7'), async () => true)).toEqual({ outcome: 'ok' });
  });

  it('logs a burst once, when the address has been quiet for 5 minutes, and audits it once when it held unknown names or refusals', async () => {
    const { throttle, clock, lines, rows } = setup();
    for (let i = 0; i < 30; i++) {
      clock.now += 1000;
      await throttle.attempt(who('192.0.2.50', i % 2 ? 'lan' : `nobody${i}`), wrong);
    }
    // a user's single typo elsewhere: logged, but its own login.failed row says it all
    await throttle.attempt(who('192.0.2.51'), wrong);
    await throttle.sweep();
    expect(lines).toEqual([]);
    clock.now += 5 * 60_000;
    await throttle.sweep();
    await throttle.sweep();
    expect(lines.map((l) => [l.level, l.address, l.msg])).toEqual([
      [40, '192.0.2.50', 'failed logins from 192.0.2.50: 10 wrong, 20 refused without a check, over 29 s (the address was refused for a while)'],
      [30, '192.0.2.51', 'failed logins from 192.0.2.51: 1 wrong, 0 refused without a check, over 0 s'],
    ]);
    expect(rows).toEqual([
      {
        actor: 'system',
        action: 'login.burst',
        target: null,
        ip: '192.0.2.50',
        detail: expect.objectContaining({ failures: 10, unknownNames: 5, refused: 20, pairLocks: 1, addressBlocked: true, realms: ['http'] }),
      },
    ]);
    expect(throttle.stats().bursts).toBe(2);
  });

  it('cuts a burst that goes on for 15 minutes, and writes what is open on close', async () => {
    const { throttle, clock, lines } = setup();
    for (let i = 0; i < 20; i++) {
      clock.now += 60_000;
      await throttle.attempt(who('192.0.2.60', `nobody${i}`), wrong);
      await throttle.sweep();
    }
    expect(lines).toHaveLength(1); // cut once at 15 minutes; the rest still open
    await throttle.close();
    expect(lines).toHaveLength(2);
  });

  it('waits on close for the burst rows still being written, and logs a row that could not be written', async () => {
    let release!: () => void;
    const slow = new Promise<void>((resolve) => (release = resolve));
    const written: string[] = [];
    const { throttle, lines } = setup({
      audit: {
        record: async (entry) => {
          if (entry.ip === '192.0.2.70') throw new Error('disk full');
          await slow;
          written.push(String(entry.ip));
          return undefined as never;
        },
      },
    });
    await throttle.attempt(who('192.0.2.70', 'nobody1'), wrong);
    await throttle.attempt(who('192.0.2.71', 'nobody2'), wrong);
    let closed = false;
    const closing = throttle.close().then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(closed).toBe(false); // 192.0.2.71's row is still on its way
    expect(lines.find((l) => l.level === 50)).toMatchObject({ address: '192.0.2.70', msg: 'could not audit a burst of failed logins', err: { message: 'disk full' } });
    release();
    await closing;
    expect(written).toEqual(['192.0.2.71']);
  });
});
