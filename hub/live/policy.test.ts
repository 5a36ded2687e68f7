import { describe, expect, it } from 'vitest';
import { bearerMatches, checkLive, relayUrl, type LiveCheckInput } from './policy.js';

const ok: LiveCheckInput = { wardKnown: true, cameraKnown: true, wardOnline: true, openForWard: 0, maxRelaysPerWard: 2 };

describe('checkLive', () => {
  it.each([
    ['a known, online ward with room', ok, 'ok'],
    ['the second relay of a ward (bound 2)', { ...ok, openForWard: 1 }, 'ok'],
    ['an unknown ward', { ...ok, wardKnown: false }, 'ward UNKNOWN_WARD 400'],
    ['an unknown camera', { ...ok, cameraKnown: false }, 'camera UNKNOWN_CAMERA 400'],
    ['an offline ward', { ...ok, wardOnline: false }, 'ward WARD_OFFLINE 409'],
    ['the third relay of a ward (bound 2)', { ...ok, openForWard: 2 }, 'ward TOO_MANY_RELAYS 429'],
  ])('%s', (_name, input, expected) => {
    const c = checkLive(input);
    expect(c.ok ? 'ok' : `${c.field} ${c.code} ${c.status}`).toBe(expected);
  });

  it('names the setting in the bound refusal', () => {
    const c = checkLive({ ...ok, openForWard: 2 });
    expect(c.ok ? '' : c.error).toMatch(/at most 2, remoteAccess\.maxRelaysPerWard/);
  });
});

describe('relayUrl', () => {
  it.each([
    ['http://127.0.0.1:8080', 'ws://127.0.0.1:8080/relay/R1'],
    ['https://hub.example.vn', 'wss://hub.example.vn/relay/R1'],
    ['https://hub.example.vn/wardwatch/', 'wss://hub.example.vn/wardwatch/relay/R1'],
  ])('%s → %s', (base, url) => expect(relayUrl(base, 'R1')).toBe(url));
});

describe('bearerMatches', () => {
  const token = 'q3Vt7yJm0cXo9N2aK8bW5eR1sD4fG6hZ-Lp_QxYvTu0';
  it.each([
    [`Bearer ${token}`, true],
    [`Bearer ${token}x`, false],
    [`Bearer ${token.slice(1)}`, false],
    [token, false],
    ['', false],
    [undefined, false],
  ])('%s → %s', (header, expected) => expect(bearerMatches(header, token)).toBe(expected));
});
