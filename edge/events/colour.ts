// A vehicle's colour, named from the fixed list of the contract, from the pixels of its box. Pure.
import type { Colour } from '../../shared/contract/index.js';

/** Share of the box trimmed off each side: road, kerb and the neighbours show there, not the vehicle. */
const BORDER = 0.15;
/** At most about this many pixels are looked at; more says nothing new about one vehicle. */
const SAMPLES = 4096;
/** Darker than this (HSV value) is a window, a tyre or a shadow unless most of the body is that dark. */
const DARK = 0.2;
/** Saturation from which a pixel has a hue worth naming. */
const CHROMATIC = 0.3;
/**
 * A vehicle has a hue when this share of its not-dark pixels has one (windows, chrome and highlights have none)…
 * and at least MIN_HUE_SHARE of all its pixels: a black car's few coloured reflections do not make it blue.
 */
const CHROMATIC_SHARE = 0.3;
const MIN_HUE_SHARE = 0.15;

type Hue = Extract<Colour, 'red' | 'orange' | 'yellow' | 'green' | 'blue' | 'brown'>;
const HUES: readonly Hue[] = ['red', 'orange', 'yellow', 'green', 'blue', 'brown'];

/**
 * Names the colour of the vehicle in an RGB24 crop of its box (row by row, 3 bytes a pixel). The border of the crop
 * is ignored; each pixel of the rest votes for a hue, or is dark or grey: a vehicle whose not-dark pixels are mostly
 * of one hue is that colour, otherwise it is black (mostly dark) or white, silver or grey by its median brightness.
 */
export function vehicleColour(rgb: Uint8Array, width: number, height: number): Colour {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0 || rgb.length < width * height * 3) {
    throw new RangeError(`vehicleColour: ${rgb.length} bytes is not an RGB24 picture of ${width}×${height}`);
  }
  let [x0, x1, y0, y1] = [Math.floor(width * BORDER), Math.ceil(width * (1 - BORDER)), Math.floor(height * BORDER), Math.ceil(height * (1 - BORDER))];
  if (x1 - x0 < 1 || y1 - y0 < 1) [x0, x1, y0, y1] = [0, width, 0, height];
  const step = Math.max(1, Math.floor(Math.sqrt(((x1 - x0) * (y1 - y0)) / SAMPLES)));

  const votes = new Map<Hue, number>();
  const greys: number[] = [];
  let dark = 0;
  let chromatic = 0;
  for (let y = y0; y < y1; y += step) {
    for (let x = x0; x < x1; x += step) {
      const i = (y * width + x) * 3;
      const { h, s, v } = hsv(rgb[i]!, rgb[i + 1]!, rgb[i + 2]!);
      if (v < DARK) dark++;
      else if (s >= CHROMATIC) {
        chromatic++;
        const hue = hueName(h, s, v);
        votes.set(hue, (votes.get(hue) ?? 0) + 1);
      } else greys.push(v);
    }
  }
  const total = dark + chromatic + greys.length;
  if (chromatic > 0 && chromatic >= CHROMATIC_SHARE * (chromatic + greys.length) && chromatic >= MIN_HUE_SHARE * total) {
    // ties go to the hue listed first
    return HUES.reduce((best, hue) => ((votes.get(hue) ?? 0) > (votes.get(best) ?? 0) ? hue : best), HUES[0]!);
  }
  if (dark >= greys.length + chromatic) return 'black';
  greys.sort((a, b) => a - b);
  const median = greys[Math.floor(greys.length / 2)]!;
  return median >= 0.8 ? 'white' : median >= 0.55 ? 'silver' : 'grey';
}

/** Hue in degrees (0–360), saturation and value (0–1). */
function hsv(r: number, g: number, b: number): { h: number; s: number; v: number } {
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const d = max - min;
  let h = 0;
  if (d > 0) {
    if (max === r) h = ((g - b) / d + 6) % 6;
    else if (max === g) h = (b - r) / d + 2;
    else h = (r - g) / d + 4;
  }
  return { h: h * 60, s: max === 0 ? 0 : d / max, v: max / 255 };
}

function hueName(h: number, s: number, v: number): Hue {
  if (h < 12 || h >= 300) return 'red'; // magenta and pink are nearer red than anything else on the list
  // brown is a dark or greyish orange (and beige a pale one)
  if (h < 45) return s >= 0.6 && v >= 0.55 ? 'orange' : 'brown';
  if (h < 70) return 'yellow';
  if (h < 165) return 'green';
  return 'blue'; // cyan to violet
}
