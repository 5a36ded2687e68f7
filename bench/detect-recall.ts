// Detection recall on real street frames, by kind and size, for each way of feeding the detector — the 416×416 model
// with the 640×360 frame letterboxed into it (as shipped), the model shaped like the frame (640×384, what
// `wardwatch provision model` makes for 640×360 cameras), and 2×2 tiles of the frame through the 416×416 model — with
// the cost of each (one thread), so that found objects per core-second can be compared.
//
//   npm run bench:detect-recall -- --clips ../shared/media/streets [--min-score 0.3] [--model FILE.onnx]
// (--model: another square 416×416 model to feed the same three ways, e.g. an int8 one from tools/int8/)
//
// The counts are by eye (bench/recall-counts/frames.json): per frame, cars (car, van, bus, truck) and two-wheelers,
// large (≥ 36 px high at 640×360) or small. The clips are not in the repository: the bench needs their folder.
// Recall per frame, kind and size is min(found, counted) / counted — counts, not matched boxes, so a false detection
// can stand in for a missed one; the by-eye counts are ±1 for large objects, ±5 for the far two-wheelers.
// The last line is one JSON object: {square: {car_large, car_small, two_wheeler_large, two_wheeler_small,
// two_wheeler_or_rider_large, two_wheeler_or_rider_small, ms_per_frame, found_per_core_s}, shaped: {…}, tiles: {…}}
// with recall in %.
import { runJob } from '../shared/ffmpeg/job.js';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { locateFfmpeg } from '../shared/ffmpeg/locate.js';
import { createDetector, nms, type Detection, type Detector, type RgbFrame } from '../edge/detect/detector.js';
import { packagedModel } from '../edge/detect/model-file.js';
import { inputSizeFor, withInputSize } from '../provisioning/model-shape.js';

const { values } = parseArgs({
  options: {
    clips: { type: 'string' },
    model: { type: 'string', default: packagedModel().path },
    'min-score': { type: 'string', default: '0.3' },
    repeat: { type: 'string', default: '3' },
  },
});

const WIDTH = 640;
const HEIGHT = 360;
type Kind = 'car' | 'two-wheeler';
type Size = 'large' | 'small';
const KINDS: Kind[] = ['car', 'two-wheeler'];
const SIZES: Size[] = ['large', 'small'];
const KIND_OF: Record<string, Kind | undefined> = { car: 'car', bus: 'car', truck: 'car', motorcycle: 'two-wheeler', bicycle: 'two-wheeler' };

interface CountedFrame {
  clip: string;
  t: number;
  car: Record<Size, number>;
  'two-wheeler': Record<Size, number>;
}

const countsFile = fileURLToPath(new URL('./recall-counts/frames.json', import.meta.url));
const counts = JSON.parse(readFileSync(countsFile, 'utf8')) as { largeMinHeight: number; frames: CountedFrame[] };

if (values.clips === undefined || !existsSync(values.clips)) {
  console.error(`the street clips are needed: --clips DIR (e.g. ../shared/media/streets)${values.clips ? `; ${values.clips} does not exist` : ''}`);
  process.exit(64);
}
const clipsDir = values.clips;
const minScore = Number(values['min-score']);
const repeat = Number(values.repeat);
if (!(minScore > 0 && minScore < 1)) throw new Error(`--min-score must be between 0 and 1 (got ${values['min-score']})`);
if (!Number.isInteger(repeat) || repeat < 1) throw new Error(`--repeat must be a whole number ≥ 1 (got ${values.repeat})`);

const tools = await locateFfmpeg();

/** The frame at `t` of a clip, scaled to the detect size as the box's frame reader does. */
async function frameAt(clip: string, t: number): Promise<RgbFrame> {
  const size = WIDTH * HEIGHT * 3;
  const data = await runJob(tools.ffmpeg.path, ['-v', 'error', '-ss', String(t), '-i', path.join(clipsDir, clip), '-frames:v', '1', '-vf', `scale=${WIDTH}:${HEIGHT}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { maxStdoutBytes: size });
  if (data.length !== size) throw new Error(`ffmpeg gave no frame at ${t} s of ${clip}`);
  return { data: new Uint8Array(data), width: WIDTH, height: HEIGHT };
}

/** 2×2 tiles, each half the frame plus an overlap, so that an object on a seam is whole in one tile. */
async function detectTiles(detector: Detector, frame: RgbFrame): Promise<Detection[]> {
  const tw = WIDTH / 2 + 32;
  const th = HEIGHT / 2 + 18;
  const all: Detection[] = [];
  for (const [x0, y0] of [[0, 0], [WIDTH - tw, 0], [0, HEIGHT - th], [WIDTH - tw, HEIGHT - th]] as const) {
    const data = new Uint8Array(tw * th * 3);
    for (let y = 0; y < th; y++) data.set(frame.data.subarray(((y0 + y) * WIDTH + x0) * 3, ((y0 + y) * WIDTH + x0 + tw) * 3), y * tw * 3);
    for (const d of await detector.detect({ data, width: tw, height: th })) all.push({ ...d, box: { ...d.box, x: d.box.x + x0, y: d.box.y + y0 } });
  }
  return nms(all);
}

interface Way {
  name: 'square' | 'shaped' | 'tiles';
  what: string;
  model: string;
  detect: (d: Detector, f: RgbFrame) => Promise<Detection[]>;
}

const dir = mkdtempSync(path.join(tmpdir(), 'ww-recall-'));
const shapedFile = path.join(dir, 'yolox_nano_shaped.onnx');
const input = inputSizeFor(WIDTH, HEIGHT);
const modelFile = values.model;
if (!existsSync(modelFile)) throw new Error(`--model ${modelFile}: no such file`);
writeFileSync(shapedFile, withInputSize(readFileSync(modelFile), input.width, input.height));
const ways: Way[] = [
  { name: 'square', what: '416×416 model, frame letterboxed (as shipped)', model: modelFile, detect: (d, f) => d.detect(f) },
  { name: 'shaped', what: `${input.width}×${input.height} model, shaped like the frame`, model: shapedFile, detect: (d, f) => d.detect(f) },
  { name: 'tiles', what: '416×416 model on 2×2 overlapping tiles', model: modelFile, detect: detectTiles },
];

const frames = await Promise.all(counts.frames.map((c) => frameAt(c.clip, c.t)));
console.log(`model ${modelFile}`);
console.log(`recall on ${frames.length} frames counted by eye (${path.relative(process.cwd(), countsFile)}), min score ${minScore}; load ${loadavg()[0]!.toFixed(2)}`);
const totals = { car: { large: 0, small: 0 }, 'two-wheeler': { large: 0, small: 0 } };
for (const c of counts.frames) for (const k of KINDS) for (const s of SIZES) totals[k][s] += c[k][s];
console.log(`counted: cars ${totals.car.large} large + ${totals.car.small} small; two-wheelers ${totals['two-wheeler'].large} large + ${totals['two-wheeler'].small} small`);

const result: Record<string, Record<string, number>> = {};
for (const way of ways) {
  const detector = await createDetector({ modelPath: way.model, threads: 1, minScore });
  try {
    await way.detect(detector, frames[0]!); // warm-up
    const found = { car: { large: 0, small: 0 }, 'two-wheeler': { large: 0, small: 0 } };
    // the tracker makes a two-wheeler of a person riding fast (its rider found, its bike missed): an upper bound of
    // what that can give, counting every person not on a found two-wheeler as one (pedestrians too, capped per frame)
    const withRiders = { large: 0, small: 0 };
    let persons = 0;
    let ms = 0;
    for (let i = 0; i < frames.length; i++) {
      const c = counts.frames[i]!;
      let detections: Detection[] = [];
      // the cost: CPU time of the calls, best of a few runs (the machine is shared)
      let best = Infinity;
      for (let r = 0; r < repeat; r++) {
        const cpu = process.cpuUsage();
        detections = await way.detect(detector, frames[i]!);
        const used = process.cpuUsage(cpu);
        best = Math.min(best, (used.user + used.system) / 1000);
      }
      ms += best;
      const got = { car: { large: 0, small: 0 }, 'two-wheeler': { large: 0, small: 0 } };
      for (const d of detections) {
        if (d.label === 'person') persons++;
        const kind = KIND_OF[d.label];
        if (kind === undefined) continue;
        got[kind][d.box.h >= counts.largeMinHeight ? 'large' : 'small']++;
      }
      for (const k of KINDS) for (const s of SIZES) found[k][s] += Math.min(got[k][s], c[k][s]);
      const bikes = detections.filter((d) => KIND_OF[d.label] === 'two-wheeler');
      const riders = detections.filter((d) => d.label === 'person' && !bikes.some((b) => d.box.x + d.box.w / 2 >= b.box.x && d.box.x + d.box.w / 2 <= b.box.x + b.box.w && d.box.y + d.box.h >= b.box.y && d.box.y <= b.box.y + b.box.h));
      for (const s of SIZES) {
        // a rider's box is about the upper two thirds of rider and bike
        const n = got['two-wheeler'][s] + riders.filter((r) => (r.box.h * 1.4 >= counts.largeMinHeight ? 'large' : 'small') === s).length;
        withRiders[s] += Math.min(n, c['two-wheeler'][s]);
      }
    }
    const pct = (k: Kind, s: Size) => Math.round((1000 * found[k][s]) / Math.max(1, totals[k][s])) / 10;
    const allFound = KINDS.reduce((n, k) => n + found[k].large + found[k].small, 0);
    const msPerFrame = ms / frames.length;
    result[way.name] = {
      car_large: pct('car', 'large'),
      car_small: pct('car', 'small'),
      two_wheeler_large: pct('two-wheeler', 'large'),
      two_wheeler_small: pct('two-wheeler', 'small'),
      two_wheeler_or_rider_large: Math.round((1000 * withRiders.large) / Math.max(1, totals['two-wheeler'].large)) / 10,
      two_wheeler_or_rider_small: Math.round((1000 * withRiders.small) / Math.max(1, totals['two-wheeler'].small)) / 10,
      ms_per_frame: Math.round(msPerFrame * 10) / 10,
      found_per_core_s: Math.round((allFound / frames.length / (msPerFrame / 1000)) * 10) / 10,
    };
    console.log(
      `${way.name} (${way.what}): cars large ${pct('car', 'large')} %, small ${pct('car', 'small')} %; two-wheelers large ${pct('two-wheeler', 'large')} %, small ${pct('two-wheeler', 'small')} %` +
        ` (with a lone person as a rider, at most: large ${result[way.name]!.two_wheeler_or_rider_large} %, small ${result[way.name]!.two_wheeler_or_rider_small} %; ${persons} persons); ${msPerFrame.toFixed(1)} ms CPU a frame; ${result[way.name]!.found_per_core_s} objects found per core-second; load ${loadavg()[0]!.toFixed(2)}`,
    );
  } finally {
    await detector.close();
  }
}
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify(result));
