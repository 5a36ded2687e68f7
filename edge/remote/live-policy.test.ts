import { describe, expect, it } from 'vitest';
import { decideLive, type LiveCamera } from './live-policy.js';

const cameras: LiveCamera[] = [
  { id: 'cam-1', mainUrl: 'rtsp://10.0.0.1/main', subUrl: 'rtsp://10.0.0.1/sub' },
  { id: 'cam-2', mainUrl: 'rtsp://10.0.0.2/main', subUrl: 'rtsp://10.0.0.2/sub' },
];

describe('decideLive', () => {
  it.each([
    ['a camera of the box', { camera: 'cam-2' }, [], 'ok cam-2'],
    ['an unknown camera', { camera: 'cam-9' }, [], 'unknown camera: ward p01 has no camera "cam-9" (cameras: cam-1, cam-2)'],
    ['one relay too many', { camera: 'cam-1' }, ['a', 'b', 'c', 'd'], 'the ward box already sends 4 live views to the hub (at most 4)'],
  ])('%s', (_name, cmd, open, expected) => {
    const d = decideLive({ ...cmd, relayId: '01JDQ7B0000000000000000RY1' }, { ward: 'p01', cameras, open });
    expect(d.ok ? `ok ${d.camera.id}` : d.reason).toBe(expected);
  });
});
