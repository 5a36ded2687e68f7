import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NtpState } from '../../shared/contract/index.js';
import { createLogger } from '../../shared/log.js';
import { startOnvifDevice, type OnvifDevice } from '../../test-fixtures/onvif/index.js';
import { ClockWatch } from './watch.js';

let ahead: OnvifDevice;
let inStep: OnvifDevice;
/** accepts connections and never answers: a camera that hangs */
let silent: Server;
let silentUrl: string;

beforeAll(async () => {
  ahead = await startOnvifDevice({ username: 'admin', password: 'pw-1', clockSkewSeconds: 3.2, discovery: false });
  inStep = await startOnvifDevice({ username: 'admin', password: 'pw-1', discovery: false });
  silent = createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/onvif/device_service`;
});
afterAll(async () => {
  await ahead?.stop();
  await inStep?.stop();
  silent?.closeAllConnections();
  await new Promise((resolve) => silent?.close(resolve));
});

function logged() {
  const lines: { level: number; msg: string; camera?: string }[] = [];
  const logger = createLogger({ name: 'test', level: 'info', pretty: false, destination: { write: (line: string) => void lines.push(JSON.parse(line)) } });
  return { logger, lines };
}

describe('the clock watch', () => {
  it('measures each ONVIF camera\'s skew against the box clock, and leaves a camera without ONVIF unknown', async () => {
    const { logger } = logged();
    const watch = new ClockWatch({
      cameras: [
        { id: 'ahead', onvifUrl: ahead.url },
        { id: 'in-step', onvifUrl: inStep.url },
        { id: 'no-onvif', onvifUrl: undefined },
      ],
      everyMs: 600_000,
      logger,
      readNtp: async () => 'synced',
    });
    await watch.check();
    // the camera answers whole seconds: within half a second plus the round trip
    expect(Math.abs(watch.skewMs('ahead')! - 3200)).toBeLessThan(700);
    expect(Math.abs(watch.skewMs('in-step')!)).toBeLessThan(700);
    expect(watch.skewMs('no-onvif')).toBeNull();
    expect(watch.skewMs('not-a-camera')).toBeNull();
    expect(watch.ntp()).toBe('synced');
    await watch.stop();
  });

  it('measures against the box clock it is given, not the machine\'s', async () => {
    const { logger } = logged();
    // a box clock 10 s behind the machine's: the in-step camera is 10 s ahead of it
    const watch = new ClockWatch({ cameras: [{ id: 'cam', onvifUrl: inStep.url }], everyMs: 600_000, logger, clock: () => Date.now() - 10_000, readNtp: async () => 'unknown' });
    await watch.check();
    expect(Math.abs(watch.skewMs('cam')! - 10_000)).toBeLessThan(700);
  });

  it('says null for a camera that does not answer or is not there, logs it once while it lasts, and once when it is back', async () => {
    const { logger, lines } = logged();
    let url = silentUrl;
    const cameras = [{ id: 'hangs', onvifUrl: silentUrl }, { id: 'moves', get onvifUrl() { return url; } }];
    const watch = new ClockWatch({ cameras, everyMs: 600_000, logger, timeoutMs: 300, readNtp: async () => 'unknown' });
    url = 'http://127.0.0.1:9/onvif/device_service'; // nothing listens on the discard port
    await watch.check();
    await watch.check();
    expect(watch.skewMs('hangs')).toBeNull();
    expect(watch.skewMs('moves')).toBeNull();
    const failures = (camera: string) => lines.filter((l) => l.camera === camera && l.msg.startsWith('cannot read'));
    expect(failures('hangs')).toHaveLength(1);
    expect(failures('moves')).toHaveLength(1);
    url = inStep.url;
    await watch.check();
    await watch.check();
    expect(watch.skewMs('moves')).not.toBeNull();
    expect(lines.filter((l) => l.camera === 'moves' && l.msg.includes('in step'))).toHaveLength(1);
  });

  it('warns once about a skewed camera and an unsynchronised box, not every round', async () => {
    const { logger, lines } = logged();
    let ntp: NtpState = 'unsynced';
    let rounds = 0;
    const watch = new ClockWatch({ cameras: [{ id: 'ahead', onvifUrl: ahead.url }], everyMs: 600_000, logger, readNtp: async () => ntp, onChecked: () => rounds++ });
    await watch.check();
    await watch.check();
    expect(watch.ntp()).toBe('unsynced');
    expect(lines.filter((l) => l.msg.includes('not NTP-synchronised'))).toHaveLength(1);
    expect(lines.filter((l) => l.msg.includes('ahead of the box'))).toHaveLength(1);
    ntp = 'synced';
    await watch.check();
    expect(watch.ntp()).toBe('synced');
    expect(lines.filter((l) => l.msg.includes('no longer reported unsynchronised'))).toHaveLength(1);
    expect(rounds).toBe(3);
  });

  it('checks at start and then every period, and not after it is stopped', async () => {
    const { logger } = logged();
    let asked = 0;
    const watch = new ClockWatch({ cameras: [], everyMs: 100, logger, readNtp: async () => (asked++, 'synced') });
    watch.start();
    expect(asked).toBe(1); // at once, not a period later
    await expect.poll(() => asked, { timeout: 5000, interval: 20 }).toBeGreaterThanOrEqual(3);
    await watch.stop();
    const atStop = asked;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(asked).toBe(atStop);
  });
});
