import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openHubStore } from '../store/store.js';
import { tempDir } from '../test-support.js';
import { LINK_KEY_FILE, loadLinkKey } from './link-key.js';
import { signClipLink, signClipToken, verifyClipLink } from './link.js';
import { resolveSharedClip } from './shared-clip.js';

const key = randomBytes(32);
const id = '01KAXG4Z7M5P2V8N3Q6R9T0W1Y';
const now = 1_764_061_200_000;
const hour = 3_600_000;

describe('clip links', () => {
  const token = signClipToken(id, now + hour, key);
  const flip = (s: string, at: number) => s.slice(0, at) + (s[at] === 'A' ? 'B' : 'A') + s.slice(at + 1);

  it.each([
    ['a valid link names its incident until it expires', signClipLink(id, now + hour, key), now, { ok: true, incidentId: id, expiresAt: now + hour }],
    ['the bare token works as well as the path', token, now + hour - 1, { ok: true, incidentId: id }],
    ['an expired link', token, now + hour, { ok: false, reason: 'expired' }],
    ['a link signed with another key', signClipToken(id, now + hour, randomBytes(32)), now, { ok: false, reason: 'forged' }],
    ['a payload changed to another incident', `${Buffer.from(JSON.stringify({ i: '01KAXG4Z7M5P2V8N3Q6R9T0W1Z', e: now + hour })).toString('base64url')}.${token.split('.')[1]}`, now, { ok: false, reason: 'forged' }],
    ['a payload whose expiry was pushed back', `${Buffer.from(JSON.stringify({ i: id, e: now + 1000 * hour })).toString('base64url')}.${token.split('.')[1]}`, now, { ok: false, reason: 'forged' }],
    ['one character of the signature changed', flip(token, token.length - 3), now, { ok: false, reason: 'forged' }],
    ['the signature cut short', token.slice(0, -5), now, { ok: false, reason: 'forged' }],
    ['the signature missing', token.split('.')[0]!, now, { ok: false, reason: 'malformed' }],
    ['the payload cut short', token.slice(4), now, { ok: false, reason: 'forged' }],
    ['not base64url', `${token.split('.')[0]}.***`, now, { ok: false, reason: 'malformed' }],
    ['empty', '', now, { ok: false, reason: 'malformed' }],
    ['absurdly long', 'A'.repeat(5000) + '.' + 'A'.repeat(43), now, { ok: false, reason: 'malformed' }],
  ])('%s', (_name, t, at, expected) => {
    expect(verifyClipLink(t, at, key)).toMatchObject(expected);
  });
});

describe('link key', () => {
  it('is made once at first start, mode 0600, and read back the same on the next start', () => {
    const root = tempDir();
    const first = loadLinkKey(root);
    const file = path.join(root, LINK_KEY_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(first.length).toBe(32);
    expect(loadLinkKey(root).equals(first)).toBe(true);
    expect(readFileSync(file, 'utf8')).not.toContain(first.toString('hex'));
    expect(loadLinkKey(tempDir()).equals(first)).toBe(false);
  });

  it('refuses a key file others can read, and a configured key too short to be safe', () => {
    const root = tempDir();
    loadLinkKey(root);
    chmodSync(path.join(root, LINK_KEY_FILE), 0o644);
    expect(() => loadLinkKey(root)).toThrow(/chmod 600/);
    expect(() => loadLinkKey(root, 'short')).toThrow(/shorter than 32 bytes/);
    expect(loadLinkKey(root, 'x'.repeat(40)).toString()).toBe('x'.repeat(40));
  });
});

describe('resolveSharedClip', () => {
  it('serves a present clip to a valid link and says why not otherwise', () => {
    const store = openHubStore(tempDir());
    const insert = store.db.prepare(`INSERT INTO incidents (id, ward, camera, label, score, top_score, box, zones, start, end, state, last_msg_id,
      clip_state, clip_path, created_at, updated_at) VALUES (?, 'p07', 'cam-01', 'car', 0.9, 0.9, '{}', '[]', 1, 2, 'ended', ?, ?, ?, 1, 1)`);
    const other = '01KAXG4Z7M5P2V8N3Q6R9T0W2A';
    insert.run(id, id, 'present', 'clips/p07/x.mp4');
    insert.run(other, other, 'receiving', null);
    const link = (i: string, exp = now + hour) => signClipLink(i, exp, key);
    expect(resolveSharedClip(store, link(id), now, key)).toMatchObject({ ok: true, incidentId: id, file: store.resolve('clips/p07/x.mp4') });
    expect(resolveSharedClip(store, link(other), now, key)).toMatchObject({ ok: false, status: 503 });
    expect(resolveSharedClip(store, link(id, now - 1), now, key)).toMatchObject({ ok: false, status: 410 });
    expect(resolveSharedClip(store, link('01KAXG4Z7M5P2V8N3Q6R9T0W3B'), now, key)).toMatchObject({ ok: false, status: 404 });
    expect(resolveSharedClip(store, signClipLink(id, now + hour, randomBytes(32)), now, key)).toMatchObject({ ok: false, status: 403 });
    store.close();
  });
});
