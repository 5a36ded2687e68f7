import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { overlaySvg, renderSnapshot } from './snapshot.js';

async function picture(width: number, height: number, noise = false): Promise<Buffer> {
  const data = Buffer.alloc(width * height * 3, 200);
  if (noise) for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
  return sharp(data, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

async function pixels(jpeg: Buffer) {
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  return { info, at: (x: number, y: number) => [...data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3)] };
}

describe('snapshot', () => {
  it('draws the box in red and blacks out privacy masks, over the box too', async () => {
    const box = { x: 0.25, y: 0.25, w: 0.5, h: 0.5 };
    const mask: [number, number][] = [[0.6, 0], [1, 0], [1, 1], [0.6, 1]];
    const jpeg = await renderSnapshot(await picture(320, 180), box, [mask]);
    expect((await sharp(jpeg).metadata()).format).toBe('jpeg');
    const { at } = await pixels(jpeg);
    const [r, g, b] = at(80, 90); // left edge of the box
    expect(r).toBeGreaterThan(200);
    expect(g).toBeLessThan(90);
    expect(b).toBeLessThan(90);
    expect(Math.max(...at(200, 45))).toBeLessThan(25); // the box's top edge under the mask
    expect(Math.max(...at(300, 170))).toBeLessThan(25);
    expect(Math.min(...at(20, 20))).toBeGreaterThan(170); // untouched picture
  });

  it('stays under the size limit, lowering quality and then size', async () => {
    const big = await picture(1280, 720, true);
    const jpeg = await renderSnapshot(big, undefined, [], 60_000);
    expect(jpeg.length).toBeLessThanOrEqual(60_000);
    expect((await sharp(jpeg).metadata()).width).toBeLessThan(1280);
  });

  it('overlays nothing but the masks when there is no box', () => {
    expect(overlaySvg(100, 50, undefined, [])).not.toContain('<rect');
    expect(overlaySvg(100, 50, undefined, [[[0, 0], [1, 0], [1, 1]]])).toContain('points="0.0,0.0 100.0,0.0 100.0,50.0"');
  });
});
