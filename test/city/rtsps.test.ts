// RTSPS: the hub's city RTSP over TLS with the page's certificate (cityRtsp.tls), read by the bundled ffprobe with an
// rtsps:// URL. No ward box: a camera not granted is refused (403) and a wrong credential 401, both inside TLS.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RtspCredentials } from '../../hub/city-rtsp/credentials.js';
import { startHub, type RunningHub } from '../../hub/main.js';
import { testWard } from '../../testing/hub/test-support.js';
import { hubConfigSchema } from '../../shared/config/hub.js';
import { locateFfmpeg, type FfmpegTools } from '../../shared/ffmpeg/locate.js';
import { silentLogger } from '../../shared/log.js';
import { makeTestTls, type TestTls } from '../tls-files.js';

const run = promisify(execFile);

let hub: RunningHub;
let tools: FfmpegTools;
let certs: TestTls;
let password: string;

async function probeError(url: string): Promise<string> {
  try {
    await run(tools.ffprobe.path, ['-v', 'error', '-show_entries', 'stream=codec_name', '-of', 'json', url], { timeout: 20_000 });
    return '';
  } catch (err) {
    return String((err as { stderr?: string }).stderr ?? err);
  }
}

beforeAll(async () => {
  tools = await locateFfmpeg();
  const dir = mkdtempSync(path.join(tmpdir(), 'ww-rtsps-'));
  certs = await makeTestTls(dir);
  const config = {
    ...hubConfigSchema.parse({
      district: { name: 'rtsps' },
      storage: { root: path.join(dir, 'hub') },
      broker: { listeners: [{ type: 'tcp', host: '127.0.0.1', port: 0 }] },
      wards: [{ id: 'p01', name: 'Phường 1', tokenHash: testWard('p01').tokenHash }],
      http: { host: '127.0.0.1', port: 0, tls: certs.hub },
      cityRtsp: { listen: { host: '127.0.0.1', port: 0 }, tls: true },
    }),
    file: path.join(dir, 'hub.yaml'),
    secrets: new Map<string, string>(),
  };
  hub = await startHub(config, { logger: silentLogger() });
  await hub.accounts.addUser({ name: 'city-vms', role: 'city', password: 'page-pass-123' }, { actor: 'cli:test', ip: null });
  password = await new RtspCredentials({ sql: hub.store.sql, audit: hub.audit }).make('city-vms', { actor: 'cli:test', ip: null });
}, 60_000);

afterAll(() => hub?.close());

describe('RTSPS (cityRtsp.tls)', () => {
  it('speaks TLS with the page\'s certificate, and RTSP with Digest inside it', async () => {
    expect(hub.cityRtsp!.scheme).toBe('rtsps');
    const port = hub.cityRtsp!.port;
    // the certificate a VMS sees is the page's, trusted through the district CA
    const socket = tls.connect({ host: '127.0.0.1', port, ca: readFileSync(certs.ca), servername: 'localhost' });
    await new Promise<void>((resolve, reject) => socket.once('secureConnect', () => resolve()).once('error', reject));
    expect(socket.authorized).toBe(true);
    socket.write('OPTIONS rtsps://127.0.0.1/p01/cam-1 RTSP/1.0\r\nCSeq: 1\r\n\r\n');
    const answer = await new Promise<string>((resolve) => socket.once('data', (d: Buffer) => resolve(d.toString())));
    expect(answer).toMatch(/^RTSP\/1.0 200 OK\r\nCSeq: 1\r\n/);
    socket.destroy();

    expect(await probeError(`rtsps://city-vms:${password}@127.0.0.1:${port}/p01/cam-1`)).toMatch(/403 Forbidden/);
    expect(await probeError(`rtsps://city-vms:wrong@127.0.0.1:${port}/p01/cam-1`)).toMatch(/401 Unauthorized/);
    // plain RTSP to the TLS port gets nowhere
    expect(await probeError(`rtsp://city-vms:${password}@127.0.0.1:${port}/p01/cam-1`)).not.toBe('');
  }, 60_000);
});
