import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { cropBox, MAX_THUMBNAIL_BYTES, thumbnailJpeg } from './vehicle-picture.js';

function frame(width: number, height: number, rgb: (x: number, y: number) => [number, number, number]) {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(rgb(x, y), (y * width + x) * 3);
  return { data, width, height };
}

describe('vehicle pictures', () => {
  const red = frame(640, 360, (x, y) => (x >= 100 && x < 300 && y >= 100 && y < 200 ? [200, 20, 20] : [90, 90, 90]));

  it('crops the box, scaled to at most 96 px, as a copy', () => {
    const crop = cropBox(red, { x: 100, y: 100, w: 200, h: 100 }, [])!;
    expect([crop.width, crop.height]).toEqual([96, 48]);
    expect([...crop.data.slice(0, 3)]).toEqual([200, 20, 20]);
    red.data.fill(0);
    expect(crop.data[0]).toBe(200);
  });

  it('blacks out what lies under a privacy mask', () => {
    const f = frame(640, 360, () => [200, 200, 200]);
    const crop = cropBox(f, { x: 0, y: 0, w: 64, h: 64 }, [[[0, 0], [0.05, 0], [0.05, 1], [0, 1]]])!;
    expect(crop.data[0]).toBe(0); // x 0 is under the mask (5 % of 640 = 32 px)
    expect(crop.data[(crop.width - 1) * 3]).toBe(200);
  });

  it('refuses a box too small to say anything', () => {
    expect(cropBox(red, { x: 10, y: 10, w: 2, h: 30 }, [])).toBeUndefined();
  });

  it('makes a JPEG thumbnail of at most 8 KB, even of noise', async () => {
    let seed = 7;
    const noise = frame(96, 96, () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return [seed & 255, (seed >> 8) & 255, (seed >> 16) & 255];
    });
    const jpeg = (await thumbnailJpeg(cropBox(noise, { x: 0, y: 0, w: 96, h: 96 }, [])!))!;
    expect(jpeg.length).toBeLessThanOrEqual(MAX_THUMBNAIL_BYTES);
    expect((await sharp(jpeg).metadata()).format).toBe('jpeg');
  });
});
