// The test pictures as the detector takes them: RGB frames at the detect stream's size.
import sharp from 'sharp';
import type { RgbFrame } from '../../edge/detect/detector.js';
import { DOG_JPG } from './index.js';

/** dog.jpg stretched to 640×360 RGB, in a buffer of its own (a worker may take it over). */
export async function dogFrame(): Promise<RgbFrame> {
  const raw = await sharp(DOG_JPG).removeAlpha().resize(640, 360, { fit: 'fill' }).raw().toBuffer();
  const data = new Uint8Array(new ArrayBuffer(raw.length));
  data.set(raw);
  return { data, width: 640, height: 360 };
}
