// Blurs people in forwarded snapshots: the region around a person's box, or the whole picture when the person
// cannot be located. The plan is pure; sharp carries it out.
import sharp from 'sharp';
import type { Box } from '../../shared/contract/index.js';

export type BlurKind = 'none' | 'persons' | 'whole';

export type BlurPlan =
  | { kind: 'none' }
  | { kind: 'persons'; left: number; top: number; width: number; height: number; sigma: number }
  | { kind: 'whole'; sigma: number };

/** Margin around the box, as a share of its size and at least a share of the picture: boxes trail a moving person. */
const MARGIN_OF_BOX = 0.35;
const MIN_MARGIN_OF_PICTURE = 0.04;

function usableBox(box: Box | null): box is Box {
  if (!box) return false;
  const { x, y, w, h } = box;
  const finite = [x, y, w, h].every((n) => Number.isFinite(n));
  return finite && w > 0 && h > 0 && x >= 0 && y >= 0 && x + w <= 1.001 && y + h <= 1.001;
}

/**
 * What to blur in a `width`×`height` snapshot of an incident. Only people are blurred (vehicles carry no
 * identity the city needs hidden here; plates are not read). `box` is the person's box in the snapshot, or
 * null when it is not known to be the snapshot's: then the person could be anywhere, so all of it is blurred.
 */
export function planBlur(label: string, box: Box | null, width: number, height: number, unblurred: boolean): BlurPlan {
  if (label !== 'person' || unblurred) return { kind: 'none' };
  // strong enough that a face the size of the picture's short side / 10 is a smudge
  const wholeSigma = Math.max(8, Math.round(Math.min(width, height) / 25));
  if (!usableBox(box)) return { kind: 'whole', sigma: wholeSigma };
  const mx = Math.max(box.w * MARGIN_OF_BOX, MIN_MARGIN_OF_PICTURE);
  const my = Math.max(box.h * MARGIN_OF_BOX, MIN_MARGIN_OF_PICTURE);
  const x0 = Math.max(0, Math.floor((box.x - mx) * width));
  const y0 = Math.max(0, Math.floor((box.y - my) * height));
  const x1 = Math.min(width, Math.ceil((box.x + box.w + mx) * width));
  const y1 = Math.min(height, Math.ceil((box.y + box.h + my) * height));
  const regionW = x1 - x0;
  const regionH = y1 - y0;
  if (regionW < 1 || regionH < 1) return { kind: 'whole', sigma: wholeSigma };
  return { kind: 'persons', left: x0, top: y0, width: regionW, height: regionH, sigma: Math.max(6, Math.round(Math.min(regionW, regionH) / 6)) };
}

export interface ProtectedSnapshot {
  jpeg: Buffer;
  blur: BlurKind;
}

/** Applies `planBlur` to a JPEG. Throws when the JPEG cannot be read: the caller then sends no snapshot. */
export async function protectSnapshot(jpeg: Buffer, label: string, box: Box | null, unblurred: boolean): Promise<ProtectedSnapshot> {
  if (label !== 'person' || unblurred) return { jpeg, blur: 'none' };
  const meta = await sharp(jpeg).metadata();
  if (!meta.width || !meta.height) throw new Error('snapshot has no size');
  const plan = planBlur(label, box, meta.width, meta.height, unblurred);
  switch (plan.kind) {
    case 'none':
      return { jpeg, blur: 'none' };
    case 'whole':
      return { jpeg: await sharp(jpeg).blur(plan.sigma).jpeg({ quality: 85 }).toBuffer(), blur: 'whole' };
    case 'persons': {
      const { left, top, width, height, sigma } = plan;
      const region = await sharp(jpeg).extract({ left, top, width, height }).blur(sigma).toBuffer();
      return { jpeg: await sharp(jpeg).composite([{ input: region, left, top }]).jpeg({ quality: 85 }).toBuffer(), blur: 'persons' };
    }
  }
}
