import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../shared/package.js';
import { hashSecret } from '../shared/scrypt.js';
import { closed, connectWard, eventMessage, tempDir, testWard } from '../testing/hub/test-support.js';
import { topics } from '../shared/contract/index.js';
import { openHubStore } from './store/store.js';

const root = packageRoot();
const cli = ['--import', 'tsx', path.join(root, 'cli/run.ts')];
const p07 = testWard('p07');

function writeConfig(dir: string, body: string): string {
  const file = path.join(dir, 'hub.yaml');
  writeFileSync(file, body);
  return file;
}

const goodConfig = (dir: string) =>
  writeConfig(
    dir,
    `district: { name: Test }
storage: { root: ${path.join(dir, 'data')} }
broker:
  listeners:
    - { type: tcp, host: 127.0.0.1, port: 0 }
http: { host: 127.0.0.1, port: 0 }
wards:
  - { id: p07, name: Phường 7, tokenHash: '${p07.tokenHash}' }
`,
  );

/** Starts the real `wardwatch hub`; resolves with the MQTT port from its JSON log line. */
function startHubProcess(config: string): { child: ChildProcess; port: Promise<number>; exit: Promise<number | null>; log: { msg?: string; level?: number }[] } {
  const log: { msg?: string; level?: number }[] = [];
  const child = spawn(process.execPath, [...cli, 'hub', '--config', config], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WARDWATCH_LOG_LEVEL: 'info' } });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const entry = (() => {
        try {
          return JSON.parse(line) as { port?: number; msg?: string; level?: number };
        } catch {
          return {};
        }
      })();
      log.push(entry);
      if (typeof entry.port === 'number') resolve(entry.port);
    });
    void exit.then((code) => reject(new Error(`hub exited (${code}) before listening`)));
  });
  return { child, port, exit, log };
}

describe('wardwatch hub', () => {
  it('exits 78 and names the problem when hub.yaml is bad', () => {
    const dir = tempDir();
    const config = writeConfig(dir, `district: { name: Test }\nstorage: { root: ${dir} }\nbroker: { listeners: [] }\nwards: []\n`);
    const r = spawnSync(process.execPath, [...cli, 'hub', '--config', config], { cwd: root, encoding: 'utf8' });
    expect(r.status).toBe(78);
    expect(r.stderr).toMatch(/hub\.yaml:\d+: broker\.listeners/);
    expect(r.stderr).toMatch(/hub\.yaml:\d+: wards/);
  });

  it('tells each ward, retained on its cmd/ topic, that its PUBACK comes after the commit (cmd/delivery "puback")', async () => {
    const dir = tempDir();
    const hub = startHubProcess(goodConfig(dir));
    try {
      const ward = await connectWard(await hub.port, { ward: p07 });
      const heard = new Promise<{ topic: string; retain: boolean; body: unknown }>((resolve) =>
        ward.on('message', (topic, payload, packet) => resolve({ topic, retain: packet.retain, body: JSON.parse(payload.toString()) })),
      );
      await ward.subscribeAsync(topics.commandFilter('p07'), { qos: 1 });
      const got = await heard;
      expect(got).toMatchObject({ topic: topics.command('p07', 'delivery'), retain: true, body: { confirm: 'puback' } });
      await ward.endAsync();
    } finally {
      hub.child.kill('SIGTERM');
      await hub.exit;
    }
  });

  it('keeps every message it acknowledged when SIGKILLed mid-ingest, and stops cleanly on SIGTERM', async () => {
    const dir = tempDir();
    const config = goodConfig(dir);
    const first = startHubProcess(config);
    const ward = await connectWard(await first.port, { ward: p07 });

    // QoS 1 publisher with a window of messages in flight; remember what got a PUBACK
    const acked: string[] = [];
    let sent = 0;
    let stop = false;
    const pump = () => {
      if (stop) return;
      const msg = eventMessage('p07');
      sent++;
      ward.publish(topics.events('p07'), JSON.stringify(msg), { qos: 1 }, (err) => {
        if (!err) acked.push(msg.event.id);
        pump();
      });
    };
    for (let i = 0; i < 200; i++) pump();
    await expect.poll(() => acked.length, { timeout: 10_000, interval: 20 }).toBeGreaterThan(2000);
    first.child.kill('SIGKILL');
    stop = true;
    expect(await first.exit).toBe(null);
    ward.end(true);
    const ackedAtKill = [...acked];
    expect(sent).toBeGreaterThan(ackedAtKill.length); // some were in flight, unacknowledged

    const second = startHubProcess(config);
    await second.port;
    second.child.kill('SIGTERM');
    expect(await second.exit).toBe(0);

    const store = openHubStore(path.join(dir, 'data'));
    const stored = new Set(store.db.prepare('SELECT id FROM incidents').pluck().all() as string[]);
    await store.close();
    const lost = ackedAtKill.filter((id) => !stored.has(id));
    expect(lost).toEqual([]);
    expect(stored.size).toBeGreaterThanOrEqual(ackedAtKill.length);
  });

  it('re-reads its wards on SIGHUP: a new ward and a new token are let in, the replaced token is cut off; a bad hub.yaml changes nothing', async () => {
    const dir = tempDir();
    const config = goodConfig(dir);
    const hub = startHubProcess(config);
    const port = await hub.port;
    const before = await connectWard(port, { ward: p07 });
    const p08 = testWard('p08');
    await expect(connectWard(port, { ward: p08 })).rejects.toThrow();

    const token = 'a-new-token-of-p07-after-a-theft';
    const p07b = { id: 'p07', token, tokenHash: hashSecret(token) };
    writeConfig(dir, readFileSync(config, 'utf8').replace(p07.tokenHash, p07b.tokenHash) + `  - { id: p08, name: Phường 8, tokenHash: '${p08.tokenHash}' }\n`);
    const cut = closed(before);
    hub.child.kill('SIGHUP');
    await expect.poll(() => hub.log.find((l) => l.msg?.startsWith('wards reloaded')), { timeout: 10_000 }).toMatchObject({ added: ['p08'], changed: ['p07'], removed: [] });
    await cut; // the old token's connection is closed
    await expect(connectWard(port, { ward: p07 })).rejects.toThrow();
    (await connectWard(port, { ward: p07b })).end(true);
    const p08client = await connectWard(port, { ward: p08 });

    writeConfig(dir, 'district: { name: Test }\nwards: oops\n');
    hub.child.kill('SIGHUP');
    await expect.poll(() => hub.log.find((l) => l.msg?.startsWith('hub.yaml not reloaded')), { timeout: 10_000 }).toMatchObject({ level: 50 });
    expect(p08client.connected).toBe(true); // the hub went on with the wards it had
    (await connectWard(port, { ward: p07b })).end(true);
    p08client.end(true);
    hub.child.kill('SIGTERM');
    expect(await hub.exit).toBe(0);
  });
});
