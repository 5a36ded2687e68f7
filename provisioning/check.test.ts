import { describe, expect, it } from 'vitest';
import type { ResolvedCamera } from '../shared/config/load.js';
import { clockLine, formatLine, hubLine, streamLine } from './check.js';
import type { DescribeResult } from './rtsp-describe.js';

const camera = {
  id: 'cam-03',
  name: 'Gate',
  credentials: { username: 'admin', passwordSecret: 'cam-03' },
  streams: { main: { url: 'rtsp://10.0.0.5/main', authUrl: 'rtsp://admin:pw-Zq81@10.0.0.5/main' }, sub: { url: 'rtsp://10.0.0.5/sub', authUrl: 'rtsp://admin:pw-Zq81@10.0.0.5/sub' } },
} as unknown as ResolvedCamera;
const target = { host: '10.20.0.10', port: 8883, tls: true, caFile: '/etc/wardwatch/ca.pem', tokenSecret: 'hub-token', box: 'p07' };

describe('streamLine', () => {
  const cases: [DescribeResult, boolean, string | undefined, boolean | undefined][] = [
    [{ outcome: 'ok', status: 200, detail: 'DESCRIBE 200' }, true, undefined, undefined],
    [{ outcome: 'wrong-login', status: 401, detail: 'wrong user or password' }, false, 'cameras[2].credentials', true],
    [{ outcome: 'not-found', status: 404, detail: 'no stream' }, false, 'cameras[2].streams.main.url', true],
    [{ outcome: 'refused', detail: 'refused' }, false, 'cameras[2].streams.main.url', undefined],
    [{ outcome: 'timeout', detail: 'no answer' }, false, 'cameras[2].streams.main.url', undefined],
  ];
  for (const [r, ok, key, config] of cases) {
    it(`${r.outcome}: ${ok ? 'passes' : `fails, fix ${key}`}`, () => {
      const l = streamLine(camera, 2, 'main', r);
      expect([l.ok, l.key, l.config]).toEqual([ok, key, config]);
      expect(formatLine(l).join('\n')).not.toContain('pw-Zq81');
      if (!ok) expect(formatLine(l)[1]).toContain(`fix ${key}:`);
    });
  }
  it('names the secret to check for a wrong password', () => {
    expect(streamLine(camera, 2, 'main', { outcome: 'wrong-login', detail: 'wrong user or password' }).fix).toContain('"cam-03" in the secrets file');
  });
});

describe('clockLine', () => {
  it('passes a camera in time, warns beyond 2 s, fails an ONVIF error with the key', () => {
    expect(clockLine(camera, 0, { skewMs: 400 })).toMatchObject({ ok: true, warn: false });
    expect(clockLine(camera, 0, { skewMs: -31_000 })).toMatchObject({ ok: true, warn: true, detail: 'camera clock is 31.0 s behind the box' });
    expect(clockLine(camera, 0, { error: 'unreachable' })).toMatchObject({ ok: false, key: 'cameras[0].onvif.url' });
  });
});

describe('hubLine', () => {
  it('counts a refused connection as the network, a certificate name or a token as configuration', () => {
    expect(hubLine(target, { ok: true }).ok).toBe(true);
    expect(hubLine(target, { problem: { kind: 'refused', key: 'hub.port', message: 'm', fix: 'f' } }).config).toBe(false);
    expect(hubLine(target, { problem: { kind: 'name-mismatch', key: 'hub.host', message: 'm', fix: 'f' } })).toMatchObject({ ok: false, config: true, key: 'hub.host' });
    expect(hubLine(target, { problem: { kind: 'bad-login', key: 'secret hub-token', message: 'm', fix: 'f' } }).config).toBe(true);
  });

  it('logs in as the box: ward-<box id>, naming the ward of a box with its own id', () => {
    expect(hubLine(target, { ok: true }).what).toBe('hub 10.20.0.10:8883 (TLS) as ward-p07');
    expect(hubLine({ ...target, ward: 'p07' }, { ok: true }).what).toBe('hub 10.20.0.10:8883 (TLS) as ward-p07');
    expect(hubLine({ ...target, box: 'dn-2', ward: 'duc-nhuan' }, { ok: true }).what).toBe('hub 10.20.0.10:8883 (TLS) as ward-dn-2 (box dn-2 of ward duc-nhuan)');
  });
});
