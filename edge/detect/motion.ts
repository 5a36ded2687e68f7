// Motion detection: running-average background on a small grey copy of the frame, masks, changed regions.
import type { Box, RgbFrame } from './detector.js';

/** A polygon in normalised frame coordinates: [x, y] pairs with 0–1 across the frame. */
import { insidePolygon, type Polygon } from '../geometry.js';

export type { Polygon };

export interface MotionOptions {
  /** source frame size; a frame of another size is an error (rebuild the detector instead) */
  width: number;
  height: number;
  /** the grey copy is at most this wide (whole-number box-average downscale), default 160 */
  maxWidth?: number;
  /** background learning rate per frame, default 0.05 (a parked car fades in ~10 s at 5 fps) */
  alpha?: number;
  /** grey-level difference (0–255) from the background that counts as change, default 20 */
  threshold?: number;
  /** changed fraction of the frame below which there is no motion, default 0.002 */
  minArea?: number;
  /** regions smaller than this many grey cells are noise and ignored, default 3 */
  minRegionCells?: number;
  /** regions closer than this many cells are one box (an object's edges move apart), default 2 */
  mergeGap?: number;
  /** frames that only build the background before motion is reported, default 2 */
  warmupFrames?: number;
  /** areas that never count (a tree, a road outside the ward); even-odd fill */
  masks?: readonly Polygon[];
}

export interface MotionResult {
  /** changed fraction is at least minArea */
  motion: boolean;
  /** changed fraction of the frame, 0–1 (masked and noise cells never count) */
  score: number;
  /** changed regions in source-frame pixels; empty when there is no motion */
  boxes: Box[];
}

interface CellBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/**
 * One per camera. Per frame it allocates only the small result; every buffer is made once here,
 * so 32 cameras at 5 fps put no pressure on the garbage collector.
 */
export class MotionDetector {
  readonly width: number;
  readonly height: number;
  /** source pixels per grey cell along each axis */
  readonly factor: number;
  readonly gridWidth: number;
  readonly gridHeight: number;

  private readonly alpha: number;
  private readonly threshold: number;
  private readonly minArea: number;
  private readonly minRegionCells: number;
  private readonly mergeGap: number;
  private readonly warmupFrames: number;

  private readonly grey: Float32Array;
  private readonly background: Float32Array;
  /** 1 where a mask covers the cell centre */
  private readonly mask: Uint8Array;
  /** 1 = changed, then overwritten with 2 once a region fill has visited the cell */
  private readonly changed: Uint8Array;
  private readonly stack: Int32Array;
  private readonly rowSums: Uint32Array;
  private frames = 0;

  constructor(options: MotionOptions) {
    const { width, height, maxWidth = 160 } = options;
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
      throw new RangeError(`motion: frame size must be positive whole numbers (got ${width}×${height})`);
    }
    this.width = width;
    this.height = height;
    this.factor = Math.max(1, Math.ceil(width / Math.max(1, maxWidth)));
    this.gridWidth = Math.max(1, Math.floor(width / this.factor));
    this.gridHeight = Math.max(1, Math.floor(height / this.factor));
    this.alpha = options.alpha ?? 0.05;
    this.threshold = options.threshold ?? 20;
    this.minArea = options.minArea ?? 0.002;
    this.minRegionCells = options.minRegionCells ?? 3;
    this.mergeGap = options.mergeGap ?? 2;
    this.warmupFrames = Math.max(1, options.warmupFrames ?? 2);
    if (!(this.alpha > 0 && this.alpha <= 1)) throw new RangeError(`motion: alpha must be in (0, 1] (got ${this.alpha})`);

    const cells = this.gridWidth * this.gridHeight;
    this.grey = new Float32Array(cells);
    this.background = new Float32Array(cells);
    this.changed = new Uint8Array(cells);
    this.stack = new Int32Array(cells);
    this.rowSums = new Uint32Array(this.gridWidth);
    this.mask = this.rasteriseMasks(options.masks ?? []);
  }

  /** Fraction of grey cells under a mask (for config validation and the review page). */
  get maskedFraction(): number {
    let n = 0;
    for (const m of this.mask) n += m;
    return n / this.mask.length;
  }

  /** Forget the background, e.g. after the camera reconnects and the picture may have jumped. */
  reset(): void {
    this.frames = 0;
  }

  update(frame: RgbFrame): MotionResult {
    if (frame.width !== this.width || frame.height !== this.height) {
      throw new RangeError(`motion: frame is ${frame.width}×${frame.height}, detector was built for ${this.width}×${this.height}`);
    }
    if (frame.data.length < this.width * this.height * 3) {
      throw new RangeError(`motion: an RGB24 frame of ${this.width}×${this.height} needs ${this.width * this.height * 3} bytes`);
    }
    this.downscale(frame.data);
    const { grey, background } = this;
    this.frames++;
    if (this.frames === 1) {
      background.set(grey);
      return { motion: false, score: 0, boxes: [] };
    }

    const { changed, mask, threshold, alpha } = this;
    for (let i = 0; i < grey.length; i++) {
      const g = grey[i]!;
      const b = background[i]!;
      changed[i] = mask[i] === 0 && Math.abs(g - b) > threshold ? 1 : 0;
      // Everything learns, moving objects too, so that a stopped object becomes background.
      background[i] = b + alpha * (g - b);
    }
    if (this.frames <= this.warmupFrames) return { motion: false, score: 0, boxes: [] };

    const regions: CellBox[] = [];
    const changedCells = this.findRegions(regions);
    const score = changedCells / grey.length;
    if (score < this.minArea || regions.length === 0) return { motion: false, score, boxes: [] };
    return { motion: true, score, boxes: this.mergeRegions(regions).map((r) => this.toFrameBox(r)) };
  }

  /** Box-average each factor×factor block of RGB into one grey (BT.601 luma) cell. */
  private downscale(data: Uint8Array): void {
    const { factor: f, gridWidth: gw, gridHeight: gh, width, grey, rowSums } = this;
    const norm = 1 / (f * f * 256);
    for (let cy = 0; cy < gh; cy++) {
      rowSums.fill(0);
      for (let sy = cy * f; sy < (cy + 1) * f; sy++) {
        let p = sy * width * 3;
        for (let cx = 0; cx < gw; cx++) {
          let sum = 0;
          for (let k = 0; k < f; k++, p += 3) sum += 77 * data[p]! + 150 * data[p + 1]! + 29 * data[p + 2]!;
          rowSums[cx]! += sum;
        }
      }
      const o = cy * gw;
      for (let cx = 0; cx < gw; cx++) grey[o + cx] = rowSums[cx]! * norm;
    }
  }

  /**
   * 8-connected regions of changed cells; regions under minRegionCells are dropped as noise.
   * Returns the number of cells in the regions kept.
   */
  private findRegions(out: CellBox[]): number {
    const { changed, stack, gridWidth: gw, gridHeight: gh } = this;
    let kept = 0;
    for (let start = 0; start < changed.length; start++) {
      if (changed[start] !== 1) continue;
      changed[start] = 2;
      let top = 0;
      stack[top++] = start;
      let count = 0;
      let x0 = gw;
      let y0 = gh;
      let x1 = -1;
      let y1 = -1;
      while (top > 0) {
        const i = stack[--top]!;
        const x = i % gw;
        const y = (i - x) / gw;
        count++;
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
        for (let dy = -1; dy <= 1; dy++) {
          const ny = y + dy;
          if (ny < 0 || ny >= gh) continue;
          for (let dx = -1; dx <= 1; dx++) {
            const nx = x + dx;
            if (nx < 0 || nx >= gw) continue;
            const j = ny * gw + nx;
            // Each cell is pushed at most once (marked on push), so the stack never overflows.
            if (changed[j] === 1) {
              changed[j] = 2;
              stack[top++] = j;
            }
          }
        }
      }
      if (count >= this.minRegionCells) {
        kept += count;
        out.push({ x0, y0, x1, y1 });
      }
    }
    return kept;
  }

  /** Merge regions whose boxes are within mergeGap cells of each other, until none are. */
  private mergeRegions(regions: CellBox[]): CellBox[] {
    const gap = this.mergeGap;
    const boxes = regions.slice();
    let merged = true;
    while (merged) {
      merged = false;
      for (let i = 0; i < boxes.length && !merged; i++) {
        for (let j = i + 1; j < boxes.length; j++) {
          const a = boxes[i]!;
          const b = boxes[j]!;
          const near = a.x0 - gap <= b.x1 && b.x0 - gap <= a.x1 && a.y0 - gap <= b.y1 && b.y0 - gap <= a.y1;
          if (near) {
            boxes[i] = { x0: Math.min(a.x0, b.x0), y0: Math.min(a.y0, b.y0), x1: Math.max(a.x1, b.x1), y1: Math.max(a.y1, b.y1) };
            boxes.splice(j, 1);
            merged = true;
            break;
          }
        }
      }
    }
    return boxes;
  }

  private toFrameBox(r: CellBox): Box {
    const f = this.factor;
    const x = r.x0 * f;
    const y = r.y0 * f;
    // The last cell absorbs the pixels the whole-number downscale left over at the edge.
    const right = r.x1 === this.gridWidth - 1 ? this.width : (r.x1 + 1) * f;
    const bottom = r.y1 === this.gridHeight - 1 ? this.height : (r.y1 + 1) * f;
    return { x, y, w: right - x, h: bottom - y };
  }

  private rasteriseMasks(polygons: readonly Polygon[]): Uint8Array {
    const { gridWidth: gw, gridHeight: gh, factor: f } = this;
    const mask = new Uint8Array(gw * gh);
    for (const polygon of polygons) {
      if (polygon.length < 3) throw new RangeError('motion: a mask polygon needs at least 3 points');
      for (let cy = 0; cy < gh; cy++) {
        const py = ((cy + 0.5) * f) / this.height;
        for (let cx = 0; cx < gw; cx++) {
          const px = ((cx + 0.5) * f) / this.width;
          if (insidePolygon(polygon, px, py)) mask[cy * gw + cx] = 1;
        }
      }
    }
    return mask;
  }
}

