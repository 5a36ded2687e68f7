// Digest authentication as cameras and the hub do it: pure cases, no sockets.
import { describe, expect, it } from 'vitest';
import { authenticate, challenge, createDigestPolicy, digestHa1, digestResponse, makeNonce, parseAuthorization, verify } from './digest.js';

const policy = createDigestPolicy({ username: 'admin', password: 's3cret-pass' }, 'Cam Realm');
const now = 1_700_000_000_000;
const uri = 'rtsp://127.0.0.1:554/main';

function header(fields: Record<string, string>): string {
  return `Digest ${Object.entries(fields).map(([k, v]) => `${k}="${v}"`).join(', ')}`;
}

function signed(password: string, nonce: string, extra: { qop?: string; nc?: string; cnonce?: string } = {}): string {
  const response = digestResponse({ credentials: { username: 'admin', password }, realm: 'Cam Realm', method: 'DESCRIBE', uri, nonce, ...extra });
  return header({ username: 'admin', realm: 'Cam Realm', nonce, uri, response, ...extra });
}

describe('digest verification', () => {
  const nonce = makeNonce(policy, now);
  it.each([
    ['no header', undefined, now, 'missing'],
    ['Basic instead of Digest', 'Basic YWRtaW46czNjcmV0LXBhc3M=', now, 'wrong'],
    ['right password', signed('s3cret-pass', nonce), now + 1000, 'ok'],
    ['right password with qop=auth', signed('s3cret-pass', nonce, { qop: 'auth', nc: '00000001', cnonce: 'abc' }), now, 'ok'],
    ['wrong password', signed('guess', nonce), now, 'wrong'],
    ['a nonce this camera never issued', signed('s3cret-pass', `${nonce.slice(0, -1)}${nonce.endsWith('0') ? '1' : '0'}`), now, 'wrong'],
    ['a nonce older than its lifetime', signed('s3cret-pass', nonce), now + 6 * 60_000, 'stale'],
  ])('%s → %s', async (_name, authorization, at, verdict) => {
    expect(await verify(policy, 'DESCRIBE', authorization, at)).toBe(verdict);
  });

  it('binds the response to the method: a DESCRIBE answer does not authorise PLAY', async () => {
    expect(await verify(policy, 'PLAY', signed('s3cret-pass', nonce), now)).toBe('wrong');
  });

  it('challenges with realm, a fresh nonce, and stale=TRUE when asked', () => {
    const fields = parseAuthorization(challenge(policy, now, true));
    expect(fields?.get('realm')).toBe('Cam Realm');
    expect(fields?.get('algorithm')).toBe('MD5');
    expect(fields?.get('stale')).toBe('TRUE');
    expect(fields?.get('nonce')).toMatch(/^[0-9a-f]{30,}$/);
  });
});

describe('a server that knows only HA1s (the hub: one per city account)', () => {
  const users = new Map([['city-vms', digestHa1({ username: 'city-vms', password: 'long-random-1' }, 'wardwatch')]]);
  const hub = { ...createDigestPolicy({ username: 'unused', password: 'unused' }, 'wardwatch'), ha1: (name: string) => users.get(name) };
  const nonce = makeNonce(hub, now);
  const as = (username: string, password: string) =>
    header({ username, realm: 'wardwatch', nonce, uri, response: digestResponse({ credentials: { username, password }, realm: 'wardwatch', method: 'PLAY', uri, nonce }) });

  it.each([
    ['its user with the right password', as('city-vms', 'long-random-1'), { verdict: 'ok', username: 'city-vms' }],
    ['its user with a wrong password', as('city-vms', 'long-random-2'), { verdict: 'wrong', username: 'city-vms' }],
    ['a name with no credential', as('lan', 'long-random-1'), { verdict: 'wrong', username: 'lan' }],
    ['no header', undefined, { verdict: 'missing' }],
  ])('%s', async (_name, authorization, expected) => {
    expect(await authenticate(hub, 'PLAY', authorization, now)).toEqual(expected);
  });
});
