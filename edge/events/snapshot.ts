// Event snapshot: the best moment from the recorded main stream, box drawn, privacy masks blacked out, JPEG ≤ 512 KiB.
import sharp from 'sharp';
import { snapshotArgs } from '../../shared/ffmpeg/args.js';
import type { Polygon } from '../detect/motion.js';
import type { NormBox } from '../geometry.js';
import { runFfmpeg } from './run-ffmpeg.js';

export const MAX_SNAPSHOT_BYTES = 512 * 1024;
export const BOX_COLOUR = '#ff2d20';

/**
 * What goes on top of the picture, as SVG: the box first, then the privacy masks, so a mask also hides
 * the part of a box that falls on a neighbour's window.
 */
export function overlaySvg(width: number, height: number, box: NormBox | undefined, privacyMasks: readonly Polygon[]): string {
  const stroke = Math.max(3, Math.round(width / 240));
  const parts: string[] = [];
  if (box !== undefined) {
    const x = Math.round(box.x * width);
    const y = Math.round(box.y * height);
    const w = Math.max(1, Math.round(box.w * width));
    const h = Math.max(1, Math.round(box.h * height));
    parts.push(`<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="none" stroke="${BOX_COLOUR}" stroke-width="${stroke}"/>`);
  }
  for (const polygon of privacyMasks) {
    const points = polygon.map(([px, py]) => `${(px * width).toFixed(1)},${(py * height).toFixed(1)}`).join(' ');
    parts.push(`<polygon points="${points}" fill="#000000" fill-rule="evenodd"/>`);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
}

/** Draws on a decoded picture and encodes it as a JPEG no bigger than maxBytes (lower quality, then smaller). */
export async function renderSnapshot(picture: Buffer, box: NormBox | undefined, privacyMasks: readonly Polygon[], maxBytes = MAX_SNAPSHOT_BYTES): Promise<Buffer> {
  const meta = await sharp(picture).metadata();
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  if (!width || !height) throw new Error('snapshot: the decoded frame has no size');
  const drawn = await sharp(picture)
    .composite([{ input: Buffer.from(overlaySvg(width, height, box, privacyMasks)), top: 0, left: 0 }])
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  let scale = 1;
  for (const quality of [80, 65, 50, 40, 40, 40]) {
    const w = Math.round(width * scale);
    const jpeg = await sharp(drawn.data, { raw: drawn.info }).resize(w).jpeg({ quality, mozjpeg: false }).toBuffer();
    if (jpeg.length <= maxBytes) return jpeg;
    if (quality === 40) scale /= 2;
  }
  throw new Error(`snapshot: cannot fit a ${width}×${height} picture in ${maxBytes} bytes`);
}

/** The frame of a recorded segment at `offsetSeconds`, drawn on. */
export async function takeSnapshot(o: {
  ffmpegPath: string;
  segmentPath: string;
  offsetSeconds: number;
  box: NormBox;
  privacyMasks: readonly Polygon[];
}): Promise<Buffer> {
  const png = await runFfmpeg(o.ffmpegPath, snapshotArgs({ input: o.segmentPath, offsetSeconds: Math.max(0, o.offsetSeconds) }), 30_000);
  if (png.length === 0) throw new Error(`snapshot: no frame at ${o.offsetSeconds.toFixed(1)} s of ${o.segmentPath}`);
  return renderSnapshot(png, o.box, o.privacyMasks);
}
