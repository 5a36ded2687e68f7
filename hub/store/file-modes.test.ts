import { chmodSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../testing/hub/test-support.js';
import { commitClip, createPartialClip } from './clip-files.js';
import { storePaths } from './paths.js';
import { commitSnapshot, writeSnapshotTemp } from './snapshots.js';
import { openHubStore } from './store.js';

const mode = (file: string) => statSync(file).mode & 0o777;

describe('the hub\'s files are its own: 0600 files, 0700 folders, under umask 022', () => {
  let umask: number;
  beforeAll(() => {
    umask = process.umask(0o022);
  });
  afterAll(() => {
    process.umask(umask);
  });

  it('hub.db and the storage root', async () => {
    const root = path.join(tempDir(), 'data');
    const store = openHubStore(root);
    await store.close();
    expect(mode(root)).toBe(0o700);
    expect(mode(path.join(root, storePaths.db))).toBe(0o600);
  });

  it('snapshots, from the temp file to their place', async () => {
    const root = tempDir();
    const pending = await writeSnapshotTemp(root, 'p07', '01KAXG4Z7M5P2V8N3Q6R9T0W1Y', Buffer.from('jpeg').toString('base64'));
    expect(mode(pending.temp)).toBe(0o600);
    const dir = commitSnapshot(root, pending);
    expect(mode(path.join(root, pending.relative))).toBe(0o600);
    expect([mode(dir), mode(path.join(root, 'snapshots'))]).toEqual([0o700, 0o700]);
  });

  it('clips, from the partial file to their place, also when a partial file was left world-readable', () => {
    const root = tempDir();
    const eventId = '01KAXG4Z7M5P2V8N3Q6R9T0W1Z';
    const temp = createPartialClip(root, eventId, 1024);
    expect(mode(path.join(root, temp))).toBe(0o600);
    expect(mode(path.join(root, 'clips', '.partial'))).toBe(0o700);
    chmodSync(path.join(root, temp), 0o644);
    const again = createPartialClip(root, eventId, 1024); // a transfer begun again
    expect(mode(path.join(root, again))).toBe(0o600);
    const relative = commitClip(root, again, 'p07', eventId);
    expect(mode(path.join(root, relative))).toBe(0o600);
    expect(mode(path.dirname(path.join(root, relative)))).toBe(0o700);
  });
});
