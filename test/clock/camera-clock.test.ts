// A camera's clock skew end to end: a real ward box (startEdge) recording a fake RTSP camera whose ONVIF service (the
// simulator) runs 3.2 s ahead, a real hub; the box reads the camera clock, its camera status carries the skew over
// MQTT, and the hub's health board shows it, with the box's NTP state.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NTP_STATES } from '../../shared/contract/index.js';
import { startOnvifDevice, type OnvifDevice } from '../../test-fixtures/onvif/index.js';
import { startRemoteRig, type RemoteRig } from '../remote/rig.js';
import { untilWith } from '../until.js';

const until = untilWith(90_000, 250);

let camera: OnvifDevice;
let rig: RemoteRig;

beforeAll(async () => {
  camera = await startOnvifDevice({ username: 'admin', password: 'cam-pass-1', clockSkewSeconds: 3.2, discovery: false });
  rig = await startRemoteRig({ cameraYaml: `    onvif: { url: "${camera.url}" }\n` });
}, 120_000);

afterAll(async () => {
  await rig?.stop();
  await camera?.stop();
});

interface Health {
  wards: { id: string; clockNtp: string | null; cameras: { camera: string; clockSkewMs: number | null; clockSkewed: boolean }[] }[];
}

describe('camera clock skew', () => {
  it('reaches the hub in the camera\'s status: the simulator\'s 3.2 s ahead, warned, beside the box\'s NTP state', async () => {
    const cam = await until('the camera\'s clock skew at the hub', async () => {
      const r = await rig.operator.get('/api/wards');
      const ward = (r.json as unknown as Health).wards.find((w) => w.id === 'p01');
      const c = ward?.cameras.find((x) => x.camera === 'cam-1');
      return c && c.clockSkewMs !== null && ward!.clockNtp !== null ? { ...c, ntp: ward!.clockNtp } : undefined;
    });
    // the camera answers whole seconds: within half a second plus the round trip
    expect(Math.abs(cam.clockSkewMs! - 3200)).toBeLessThan(700);
    expect(cam.clockSkewed).toBe(true);
    // whatever this machine says (a container says unknown), the box says it
    expect(NTP_STATES).toContain(cam.ntp);
    expect(camera.calls().filter((c) => c.operation === 'GetSystemDateAndTime' && c.outcome === 'ok').length).toBeGreaterThanOrEqual(1);
    // the camera was asked nothing that needs its password
    expect(camera.calls().every((c) => c.operation === 'GetSystemDateAndTime')).toBe(true);
  });
});
