import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCamera, type SingleCamera } from '../test-fixtures/camera/index.js';
import { authorization, describeStream } from './rtsp-describe.js';

describe('authorization', () => {
  it('answers a Digest challenge with qop=auth as RFC 2617 does', () => {
    const header = authorization('Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"', 'GET', '/dir/index.html', 'Mufasa', 'Circle Of Life', '0a4f113b');
    expect(header).toContain('response="6629fae49393a05397450978507c4ef1"');
    expect(header).toContain('qop=auth, nc=00000001, cnonce="0a4f113b"');
    expect(header).toContain('opaque="5ccc069c403ebaf9f0171e9517f40e41"');
  });

  it('answers a Basic challenge with the base64 login', () => {
    expect(authorization('Basic realm="cam"', 'DESCRIBE', 'rtsp://x/', 'admin', 'pw')).toBe(`Basic ${Buffer.from('admin:pw').toString('base64')}`);
  });
});

describe('describeStream against a fake camera (Digest, real RTSP)', () => {
  let cam: SingleCamera;
  const withLogin = (url: string, user: string, password: string) => {
    const u = new URL(url);
    u.username = user;
    u.password = encodeURIComponent(password);
    return u.toString();
  };
  beforeAll(async () => {
    cam = await startCamera({ loopSeconds: 4, username: 'admin', password: 'right pass/1' });
  }, 120_000);
  afterAll(async () => cam?.stop());

  it('is ok with the right login', async () => {
    expect((await describeStream(withLogin(cam.camera.mainUrl, 'admin', 'right pass/1'))).outcome).toBe('ok');
  });

  it('says wrong user or password, without the password', async () => {
    const r = await describeStream(withLogin(cam.camera.mainUrl, 'admin', 'wrong-one'));
    expect(r).toMatchObject({ outcome: 'wrong-login', status: 401, detail: 'wrong user or password' });
  });

  it('says when no login is configured for a camera that wants one', async () => {
    expect((await describeStream(cam.camera.mainUrl)).detail).toBe('the camera wants a login and none is configured');
  });

  it('names a path the camera does not serve', async () => {
    const url = new URL(withLogin(cam.camera.mainUrl, 'admin', 'right pass/1'));
    url.pathname = '/no-such-stream';
    const r = await describeStream(url.toString());
    expect(r.outcome === 'not-found' || r.outcome === 'error').toBe(true);
    expect(r.status).toBeGreaterThanOrEqual(400);
  });

  it('says connection refused for a closed port', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const r = await describeStream(`rtsp://127.0.0.1:${port}/main`);
    expect(r.outcome).toBe('refused');
  });

  it('times out on a camera that accepts and never answers', async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const r = await describeStream(`rtsp://127.0.0.1:${(silent.address() as net.AddressInfo).port}/main`, 300);
      expect(r.outcome).toBe('timeout');
    } finally {
      silent.close();
    }
  });
});
