// Test helpers: a snapshot of noise (every region has high variance until blurred) and a region's variance.
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';

export async function noiseJpeg(width = 320, height = 180): Promise<Buffer> {
  return sharp(randomBytes(width * height * 3), { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
}

/** Variance of the grey values in a pixel rectangle. */
export async function variance(jpeg: Buffer, r: { left: number; top: number; width: number; height: number }): Promise<number> {
  const px = await sharp(jpeg).extract(r).greyscale().raw().toBuffer();
  const mean = px.reduce((a, b) => a + b, 0) / px.length;
  return px.reduce((a, b) => a + (b - mean) ** 2, 0) / px.length;
}
