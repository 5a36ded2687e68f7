// A vehicle's picture for its sighting: a small crop of the detect frame at its best moment (privacy masks blacked
// out), named to a colour and turned into a thumbnail of at most 8 KB. Never called for people.
import sharp from 'sharp';
import { insidePolygon, type Box, type Polygon } from '../geometry.js';

export const MAX_THUMBNAIL_BYTES = 8 * 1024;
/** the crop's longer side; a thumbnail at most this size says the make and colour, not who drives */
const CROP_SIDE = 96;

export interface Crop {
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * Copies the box out of a packed RGB24 frame, scaled (nearest neighbour) so its longer side is at most CROP_SIDE.
 * Pixels under a privacy mask are black. The copy is the caller's: the frame's buffer goes back to its pool.
 */
export function cropBox(frame: { data: Uint8Array; width: number; height: number }, box: Box, privacyMasks: readonly Polygon[]): Crop | undefined {
  const x0 = Math.max(0, Math.floor(box.x));
  const y0 = Math.max(0, Math.floor(box.y));
  const x1 = Math.min(frame.width, Math.ceil(box.x + box.w));
  const y1 = Math.min(frame.height, Math.ceil(box.y + box.h));
  const w = x1 - x0;
  const h = y1 - y0;
  if (w < 4 || h < 4) return undefined;
  const scale = Math.min(1, CROP_SIDE / Math.max(w, h));
  const width = Math.max(1, Math.round(w * scale));
  const height = Math.max(1, Math.round(h * scale));
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const sy = y0 + Math.min(h - 1, Math.floor(y / scale));
    for (let x = 0; x < width; x++) {
      const sx = x0 + Math.min(w - 1, Math.floor(x / scale));
      const masked = privacyMasks.length > 0 && privacyMasks.some((m) => insidePolygon(m, (sx + 0.5) / frame.width, (sy + 0.5) / frame.height));
      if (masked) continue;
      const s = (sy * frame.width + sx) * 3;
      const d = (y * width + x) * 3;
      data[d] = frame.data[s]!;
      data[d + 1] = frame.data[s + 1]!;
      data[d + 2] = frame.data[s + 2]!;
    }
  }
  return { data, width, height };
}

/** JPEG of the crop, at the best quality that stays within MAX_THUMBNAIL_BYTES. */
export async function thumbnailJpeg(crop: Crop): Promise<Buffer | undefined> {
  const raw = sharp(Buffer.from(crop.data.buffer, crop.data.byteOffset, crop.data.length), { raw: { width: crop.width, height: crop.height, channels: 3 } });
  for (const quality of [70, 50, 35]) {
    const jpeg = await raw.clone().jpeg({ quality, mozjpeg: false }).toBuffer();
    if (jpeg.length <= MAX_THUMBNAIL_BYTES) return jpeg;
  }
  return undefined;
}
