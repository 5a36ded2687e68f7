import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDb } from '../../shared/db.js';
import { packageRoot } from '../../shared/package.js';
import { createAccounts } from '../../shared/accounts/index.js';
import { createAudit } from '../../shared/audit/index.js';
import { storePaths } from '../store/paths.js';
import { openHubStore } from '../store/store.js';
import { hubMigrations } from '../store/schema.js';
import { tempDir, testWard } from '../../testing/hub/test-support.js';

const root = packageRoot();

/** The real CLI in a child process, as an administrator on the hub's console runs it (stdin not a terminal). */
function wardwatch(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'cli/run.ts'), ...args], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function hubConfig(): { config: string; dbFile: string } {
  const dir = tempDir('ww-users-');
  const config = path.join(dir, 'hub.yaml');
  writeFileSync(
    config,
    `district: { name: Test }
storage: { root: ${path.join(dir, 'data')} }
broker: { listeners: [{ type: tcp, host: 127.0.0.1, port: 0 }] }
wards:
  - { id: p07, name: Phường 7, tokenHash: '${testWard('p07').tokenHash}' }
`,
  );
  return { config, dbFile: path.join(dir, 'data', storePaths.db) };
}

describe('wardwatch hub user / audit', () => {
  it('adds users (password from a file, or generated and printed once) and lists them as JSON', () => {
    const { config } = hubConfig();
    const pwFile = path.join(path.dirname(config), 'pw.txt');
    writeFileSync(pwFile, 'officer-pass-7\n');
    const officer = wardwatch('hub', 'user', 'add', '--name', 'minh', '--role', 'officer', '--ward', 'p07', '--display-name', 'Trần Minh', '--password-file', pwFile, '--config', config);
    expect(officer.code, officer.stderr).toBe(0);
    expect(officer.stdout).not.toContain('officer-pass-7');
    const operator = wardwatch('hub', 'user', 'add', '--name', 'lan', '--role', 'operator', '--config', config);
    expect(operator.code, operator.stderr).toBe(0);
    expect(operator.stdout).toMatch(/initial password \(shown once\): [A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}\n/);
    const badWard = wardwatch('hub', 'user', 'add', '--name', 'hoa', '--role', 'officer', '--ward', 'p99', '--config', config);
    expect(badWard.code).toBe(64);
    expect(badWard.stderr).toContain('--ward: unknown ward "p99"; use one of: p07');

    const list = wardwatch('hub', 'user', 'list', '--json', '--config', config);
    expect(list.code, list.stderr).toBe(0);
    const users = JSON.parse(list.stdout) as Record<string, unknown>[];
    expect(users).toEqual([
      expect.objectContaining({ name: 'lan', role: 'operator', ward: null, mustChange: true, locked: false }),
      expect.objectContaining({ name: 'minh', displayName: 'Trần Minh', role: 'officer', ward: 'p07', mustChange: true }),
    ]);
    expect(list.stdout).not.toMatch(/scrypt|hash/i);
  });

  it('exits 0 with the row count on an intact log, and 1 naming the row after tampering', async () => {
    const { config, dbFile } = hubConfig();
    // seeded in process: a child process per row would only slow the test
    const store = openHubStore(path.dirname(dbFile));
    const audit = createAudit(store.sql);
    const accounts = createAccounts(store.sql, { audit });
    for (const name of ['an', 'binh', 'chi']) await accounts.addUser({ name, role: 'operator', password: 'seed-pass-1' }, { actor: 'test' });
    await accounts.lock('binh', { actor: 'cli:admin' });
    await store.close();
    const ok = wardwatch('hub', 'audit', 'verify', '--config', config);
    expect(ok.stdout).toMatch(/^ok, 4 rows \(last hash [0-9a-f]{64}\)\n$/);
    expect(ok.code, ok.stderr).toBe(0);

    // someone with the db file hides who locked binh
    const db = openDb(dbFile, hubMigrations);
    db.exec('DROP TRIGGER audit_no_update');
    expect(db.prepare("UPDATE audit SET actor = 'nobody' WHERE action = 'user.lock'").run().changes).toBe(1);
    db.close();
    const broken = wardwatch('hub', 'audit', 'verify', '--config', config);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('audit log broken: row 4 changed');
  });

  it('makes a city account\'s RTSP credential: printed once, only its HA1 kept, audited; refused for other roles', async () => {
    const { config, dbFile } = hubConfig();
    const store = openHubStore(path.dirname(dbFile));
    const accounts = createAccounts(store.sql, { audit: createAudit(store.sql) });
    await accounts.addUser({ name: 'city-vms', role: 'city', password: 'seed-pass-1' }, { actor: 'test' });
    await accounts.addUser({ name: 'lan', role: 'operator', password: 'seed-pass-1' }, { actor: 'test' });
    await store.close();
    const made = wardwatch('hub', 'rtsp-credential', '--name', 'city-vms', '--config', config);
    expect(made.code, made.stderr).toBe(0);
    const password = /password \(shown once\): (\S+)\n/.exec(made.stdout)?.[1];
    expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(made.stdout).toContain('cityRtsp is not set in hub.yaml');
    const again = wardwatch('hub', 'rtsp-credential', '--name', 'city-vms', '--config', config);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).not.toContain(password!);
    for (const [name, message] of [['lan', '--name: "lan" has the role operator; RTSP credentials are for city accounts only'], ['nobody', '--name: no account "nobody"']] as const) {
      const refused = wardwatch('hub', 'rtsp-credential', '--name', name, '--config', config);
      expect(refused.code).toBe(64);
      expect(refused.stderr).toContain(message);
    }

    const db = openDb(dbFile, hubMigrations);
    const row = db.prepare('SELECT ha1 FROM city_rtsp_credentials WHERE user = ?').get('city-vms') as { ha1: string };
    expect(row.ha1).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.stringify(db.prepare('SELECT * FROM city_rtsp_credentials').all())).not.toContain(password!);
    expect(db.prepare("SELECT target, detail FROM audit WHERE action = 'city.rtsp.credential' ORDER BY id").all()).toEqual([
      { target: 'city-vms', detail: '{"replaced":false}' },
      { target: 'city-vms', detail: '{"replaced":true}' },
    ]);
    db.close();
  });
});
