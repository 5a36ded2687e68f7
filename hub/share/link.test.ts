import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RetrievalStore } from '../retrieval/store.js';
import { openHubStore } from '../store/store.js';
import { tempDir } from '../../testing/hub/test-support.js';
import { LINK_KEY_FILE, loadLinkKey } from './link-key.js';
import { signClipLink, signClipToken, verifyClipLink } from './link.js';
import { resolveSharedClip } from './shared-clip.js';

const key = randomBytes(32);
const id = '01KAXG4Z7M5P2V8N3Q6R9T0W1Y';
const now = 1_764_061_200_000;
const hour = 3_600_000;
const inc = (i: string) => ({ kind: 'incident' as const, id: i });
const rec = (i: string) => ({ kind: 'recording' as const, id: i });

describe('clip links', () => {
  const token = signClipToken(inc(id), now + hour, key);
  const recToken = signClipToken(rec(id), now + hour, key);
  const flip = (s: string, at: number) => s.slice(0, at) + (s[at] === 'A' ? 'B' : 'A') + s.slice(at + 1);

  it.each([
    ['a valid link names its incident until it expires', signClipLink(inc(id), now + hour, key), now, { ok: true, subject: inc(id), expiresAt: now + hour }],
    ['the bare token works as well as the path', token, now + hour - 1, { ok: true, subject: inc(id) }],
    ['a link to a retrieved recording names the retrieval', recToken, now, { ok: true, subject: rec(id) }],
    ['an incident link turned into a recording link', `${Buffer.from(JSON.stringify({ r: id, e: now + hour })).toString('base64url')}.${token.split('.')[1]}`, now, { ok: false, reason: 'forged' }],
    ['an expired link', token, now + hour, { ok: false, reason: 'expired' }],
    ['a link signed with another key', signClipToken(inc(id), now + hour, randomBytes(32)), now, { ok: false, reason: 'forged' }],
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

  it('a signed payload naming both an incident and a recording (or neither) is malformed', () => {
    const signed = (data: object) => {
      const p = Buffer.from(JSON.stringify(data)).toString('base64url');
      return `${p}.${createHmac('sha256', key).update(p).digest('base64url')}`;
    };
    expect(verifyClipLink(signed({ i: id, r: id, e: now + hour }), now, key)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyClipLink(signed({ e: now + hour }), now, key)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyClipLink(signed({ r: 7, e: now + hour }), now, key)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyClipLink(signed({ r: id, e: now + hour }), now, key)).toMatchObject({ ok: true, subject: rec(id) });
  });

  it('accepts only the canonical spelling of the signature\'s last character (its spare bits set are another link)', () => {
    const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const [payload, signature] = token.split('.') as [string, string];
    const last = ALPHABET.indexOf(signature.at(-1)!);
    // 43 characters carry 258 bits for 256: the last one's two low bits are spare
    const variants = [1, 2, 3].map((spare) => `${payload}.${signature.slice(0, -1)}${ALPHABET[last ^ spare]}`);
    for (const v of variants) {
      expect(Buffer.from(v.split('.')[1]!, 'base64url').equals(Buffer.from(signature, 'base64url'))).toBe(true); // the same bytes…
      expect(verifyClipLink(v, now, key)).toEqual({ ok: false, reason: 'forged' }); // …but not the link
    }
    expect(verifyClipLink(token, now, key)).toMatchObject({ ok: true });
    expect(verifyClipLink(`${token}=`, now, key)).toEqual({ ok: false, reason: 'malformed' }); // padding is another spelling too
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
  it('serves a present clip to a valid link and says why not otherwise', async () => {
    const store = openHubStore(tempDir());
    const insert = store.db.prepare(`INSERT INTO incidents (id, ward, camera, label, score, top_score, box, zones, start, end, state, last_msg_id,
      clip_state, clip_path, created_at, updated_at) VALUES (?, 'p07', 'cam-01', 'car', 0.9, 0.9, '{}', '[]', 1, 2, 'ended', ?, ?, ?, 1, 1)`);
    const other = '01KAXG4Z7M5P2V8N3Q6R9T0W2A';
    insert.run(id, id, 'present', 'clips/p07/x.mp4');
    insert.run(other, other, 'receiving', null);
    const recordings = new RetrievalStore(store.sql);
    const link = (i: string, exp = now + hour) => signClipLink(inc(i), exp, key);
    expect(await resolveSharedClip(store, recordings, link(id), now, key)).toMatchObject({ ok: true, subject: inc(id), file: store.resolve('clips/p07/x.mp4') });
    expect(await resolveSharedClip(store, recordings, link(other), now, key)).toMatchObject({ ok: false, status: 503 });
    expect(await resolveSharedClip(store, recordings, link(id, now - 1), now, key)).toMatchObject({ ok: false, status: 410 });
    expect(await resolveSharedClip(store, recordings, link('01KAXG4Z7M5P2V8N3Q6R9T0W3B'), now, key)).toMatchObject({ ok: false, status: 404 });
    expect(await resolveSharedClip(store, recordings, signClipLink(inc(id), now + hour, randomBytes(32)), now, key)).toMatchObject({ ok: false, status: 403 });
    // an incident link does not open the recording with the same id, nor the other way round
    expect(await resolveSharedClip(store, recordings, signClipLink(rec(id), now + hour, key), now, key)).toMatchObject({ ok: false, status: 404 });
  });

  it('serves a ready retrieved recording and says why not in every other state', async () => {
    const store = openHubStore(tempDir());
    const recordings = new RetrievalStore(store.sql);
    const ids = { ready: '01KAXG4Z7M5P2V8N3Q6R9T0W4A', transferring: '01KAXG4Z7M5P2V8N3Q6R9T0W4B', expired: '01KAXG4Z7M5P2V8N3Q6R9T0W4C', cancelled: '01KAXG4Z7M5P2V8N3Q6R9T0W4D', failed: '01KAXG4Z7M5P2V8N3Q6R9T0W4E' };
    for (const r of Object.values(ids)) await recordings.create(store.sql, { id: r, ward: 'p07', camera: 'cam-01', from: 1, to: 2, requestedBy: 'an' }, now);
    await recordings.clipPresent(store.sql, ids.ready, 'p07', 'clips/p07/r.mp4', 'ab'.repeat(32), now);
    await recordings.clipPresent(store.sql, ids.expired, 'p07', 'clips/p07/e.mp4', 'ab'.repeat(32), now);
    await recordings.expire(store.sql, ids.expired, now);
    await recordings.cancel(store.sql, ids.cancelled, 'cancelled by an', now);
    await recordings.clipFailed(store.sql, ids.failed, 'p07', 'no recording in range', now);
    const link = (i: string) => signClipLink(rec(i), now + hour, key);
    expect(await resolveSharedClip(store, recordings, link(ids.ready), now, key)).toMatchObject({ ok: true, subject: rec(ids.ready), ward: 'p07', camera: 'cam-01', file: store.resolve('clips/p07/r.mp4') });
    expect(await resolveSharedClip(store, recordings, link(ids.transferring), now, key)).toMatchObject({ ok: false, status: 503 });
    expect(await resolveSharedClip(store, recordings, link(ids.expired), now, key)).toMatchObject({ ok: false, status: 410 });
    expect(await resolveSharedClip(store, recordings, link(ids.cancelled), now, key)).toMatchObject({ ok: false, status: 404, reason: expect.stringContaining('cancelled by an') });
    expect(await resolveSharedClip(store, recordings, link(ids.failed), now, key)).toMatchObject({ ok: false, status: 404, reason: expect.stringContaining('no recording in range') });
    expect(await resolveSharedClip(store, recordings, link('01KAXG4Z7M5P2V8N3Q6R9T0W4F'), now, key)).toMatchObject({ ok: false, status: 404 });
    await store.close();
  });
});
