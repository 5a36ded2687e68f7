import { describe, expect, it } from 'vitest';
import { boxCamera, hubCamera, toBoxCameras } from './camera-names.js';

describe('camera names at the hub', () => {
  it.each([
    ['no prefix: the box\'s own id', undefined, 'cam-01', 'cam-01'],
    ['a prefix goes in front', 'p07-', 'cam-01', 'p07-cam-01'],
  ])('%s', (_, prefix, camera, named) => {
    expect(hubCamera(prefix, camera)).toBe(named);
    expect(boxCamera(prefix, named)).toBe(camera);
  });

  it('refuses a name the prefix makes too long, naming the fix', () => {
    expect(() => hubCamera('phu-nhuan-old-', 'camera-at-the-market-gate')).toThrow(/"phu-nhuan-old-camera-at-the-market-gate", not an id: .* shorten the prefix in hub.yaml/);
  });

  it('gives a command\'s camera back under the box\'s name and leaves other payloads alone', () => {
    expect(toBoxCameras('p07-', { requestId: 'r', camera: 'p07-cam-01', from: 1 })).toEqual({ requestId: 'r', camera: 'cam-01', from: 1 });
    expect(toBoxCameras('p07-', { requestId: 'r', cancelledBy: 'lan' })).toEqual({ requestId: 'r', cancelledBy: 'lan' });
    expect(toBoxCameras(undefined, { camera: 'p07-cam-01' })).toEqual({ camera: 'p07-cam-01' });
  });
});
