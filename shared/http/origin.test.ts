import { describe, expect, it } from 'vitest';
import { canonicalOrigin, originAllowed, type OriginCheck } from './origin.js';

describe('originAllowed', () => {
  const hub: Omit<OriginCheck, 'origin'> = { protocol: 'http', host: '127.0.0.1:8443' };
  it.each<[string, string | undefined, Partial<OriginCheck>, boolean]>([
    ['no Origin (curl, a ward, a same-origin form in old browsers)', undefined, {}, true],
    ['the page itself', 'http://127.0.0.1:8443', {}, true],
    ['the page, Host header in capitals', 'http://localhost:8443', { host: 'LOCALHOST:8443' }, true],
    ['another site', 'https://evil.example', {}, false],
    ['the same host on another port', 'http://127.0.0.1:9000', {}, false],
    ['the same host over https (another origin)', 'https://127.0.0.1:8443', {}, false],
    ['"null" (sandboxed frame, file:// page)', 'null', {}, false],
    ['garbage', 'not a url', {}, false],
    ['a non-web scheme', 'chrome-extension://abc', {}, false],
    ['default port written out', 'https://hub.example.vn:443', { protocol: 'https', host: 'hub.example.vn' }, true],
    ['Host header with the default port', 'https://hub.example.vn', { protocol: 'https', host: 'hub.example.vn:443' }, true],
    ['case of the host', 'https://HUB.example.vn', { protocol: 'https', host: 'hub.example.vn' }, true],
    ['the public URL behind a proxy', 'https://hub.phunhuan.example.vn', { allowed: ['https://hub.phunhuan.example.vn/'] }, true],
    ['a lookalike of the public URL', 'https://hub.phunhuan.example.vn.evil.example', { allowed: ['https://hub.phunhuan.example.vn'] }, false],
    ['no Host header at all', 'http://127.0.0.1:8443', { host: undefined }, false],
  ])('%s', (_name, origin, over, allowed) => {
    expect(originAllowed({ ...hub, ...over, origin })).toBe(allowed);
  });

  it('writes origins one way', () => {
    expect(canonicalOrigin('HTTPS://Hub.Example.VN:443/path?q')).toBe('https://hub.example.vn');
    expect(canonicalOrigin('http://[::1]:8080')).toBe('http://[::1]:8080');
  });
});
