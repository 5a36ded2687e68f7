// `wardwatch provision model`: installs the YOLOX-Nano detector where edge.yaml expects it (by default the copy
// that ships in this package), after checking its sha256 and a known-answer run on a picture.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform } from 'node:stream';
import sharp from 'sharp';
import { EXIT, UsageError, type Command, type Output } from '../shared/command.js';
import { commitFileSync } from '../shared/atomic.js';
import { loadEdgeConfig } from '../shared/config/load.js';
import { formatProblem } from '../shared/config/problems.js';
import { createDetector, DetectorError, type Detection } from '../shared/detect/session.js';
import { packagedModel, YOLOX_NANO } from '../edge/detect/model-file.js';
import { parseCommand } from './cli-util.js';
import { inputSizeFor, ModelShapeError, withInputSize } from './model-shape.js';

export class ModelError extends Error {}

/** Copies (or downloads) into `tmp`, hashing on the way; never leaves a partial file behind on failure. */
async function fetchInto(source: { from: string } | { url: string }, tmp: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      bytes += chunk.length;
      // a wrong URL serving something huge must not fill the box's disk
      if (bytes > YOLOX_NANO.bytes * 4) done(new ModelError(`more than ${YOLOX_NANO.bytes * 4} bytes: not the YOLOX-Nano model`));
      else done(null, chunk);
    },
  });
  let input: NodeJS.ReadableStream;
  if ('from' in source) {
    if (!existsSync(source.from)) throw new ModelError(`${source.from} not found`);
    input = createReadStream(source.from);
  } else {
    let res: Response;
    try {
      res = await fetch(source.url, { redirect: 'follow', signal: AbortSignal.timeout(120_000) });
    } catch (err) {
      throw new ModelError(`cannot download ${source.url} (${(err as Error & { cause?: { code?: string } }).cause?.code ?? (err as Error).message}): no internet here? copy the file over and use --from`);
    }
    if (!res.ok || !res.body) throw new ModelError(`download of ${source.url} failed: HTTP ${res.status}`);
    input = Readable.fromWeb(res.body as never);
  }
  await pipeline(input, tap, createWriteStream(tmp, { mode: 0o644 }));
  return { sha256: hash.digest('hex'), bytes };
}

export interface CheckImageResult {
  image: string;
  detections: Detection[];
  missing: string[];
}

/** Loads the model file with the edge's own detector, runs it once on a grey frame and, if given, on an image. */
export async function checkModel(file: string, image: string | undefined, expect: readonly string[]): Promise<{ inferenceMs: number; image?: CheckImageResult }> {
  const detector = await createDetector({ modelPath: file, threads: 1 });
  try {
    const grey = { width: 640, height: 360, data: new Uint8Array(640 * 360 * 3).fill(128) };
    const t0 = performance.now();
    await detector.detect(grey);
    const inferenceMs = performance.now() - t0;
    if (image === undefined) return { inferenceMs };
    let frame;
    try {
      const { data, info } = await sharp(image).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      frame = { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
    } catch (err) {
      throw new ModelError(`cannot decode --check-image ${image} (${(err as Error).message})`);
    }
    const detections = await detector.detect(frame);
    const missing = expect.filter((l) => !detections.some((d) => d.label === l));
    return { inferenceMs, image: { image, detections, missing } };
  } finally {
    await detector.close();
  }
}

/**
 * The model input for a box: `square` is the model as shipped (416×416); `auto` is shaped like the cameras' detect
 * frames (the most common detect.width × height, each side rounded up to 32); `WxH` is given. Pure.
 */
export function chooseInput(
  asked: string | undefined,
  cameras: readonly { detect: { enabled: boolean; width: number; height: number } }[] | undefined,
): { width: number; height: number } | 'square' {
  const how = asked ?? (cameras ? 'auto' : 'square');
  if (how === 'square') return 'square';
  if (how === 'auto') {
    const sizes = new Map<string, { width: number; height: number; n: number }>();
    for (const c of cameras ?? []) {
      if (!c.detect.enabled) continue;
      const key = `${c.detect.width}x${c.detect.height}`;
      const s = sizes.get(key) ?? { width: c.detect.width, height: c.detect.height, n: 0 };
      s.n++;
      sizes.set(key, s);
    }
    const top = [...sizes.values()].sort((a, b) => b.n - a.n)[0];
    if (top === undefined) return 'square';
    return inputSizeFor(top.width, top.height);
  }
  const m = /^(\d+)x(\d+)$/.exec(how);
  if (m === null) throw new UsageError(`--input must be auto, square or WIDTHxHEIGHT such as 640x384 (got "${how}")`);
  const width = Number(m[1]);
  const height = Number(m[2]);
  if (width % 32 !== 0 || height % 32 !== 0 || width < 64 || height < 64 || width > 1920 || height > 1920) {
    throw new UsageError(`--input ${how}: both sides must be multiples of 32 between 64 and 1920 (e.g. 640x384 for 640×360 frames)`);
  }
  return { width, height };
}

const HELP = `wardwatch provision model [--from FILE | --url URL] (--config edge.yaml | --to PATH) [--input auto|square|WxH] [--check-image IMAGE [--expect LABEL,…]] [--json]

Installs the detector (YOLOX-Nano, ONNX) at edge.yaml's model.path, or at PATH:
  1. copies the model that ships with Wardwatch (no network needed), or --from FILE, or downloads --url URL
     (only where the box has internet; the file must be byte-identical to the one Wardwatch is tested with),
  2. checks its sha256 (${YOLOX_NANO.sha256}, ${YOLOX_NANO.bytes} bytes),
  3. shapes its input like the cameras' frames (--input auto, the default with --config: the most common
     detect.width × detect.height, each rounded up to 32, e.g. 640x384 for 640×360, so no input is spent on
     letterbox padding); --input square keeps the 416×416 model as shipped (the default with --to); --input WxH,
  4. loads it with the edge's detector and runs it once on a grey frame,
  5. runs it on a known picture and checks what it finds there: by default the picture that ships beside the
     model, which must show a bicycle and a car; --check-image IMAGE [--expect LABEL,…] to use your own,
  6. only then moves it into place (atomically); a model already there is replaced only by a good one.
Exit 0 installed; 1 the file is wrong, does not load, or misses an expected label (nothing installed);
64 bad command line; 78 edge.yaml has problems.`;

export const modelCommand: Command = {
  name: 'model',
  summary: 'install and check the detector model',
  usage: 'wardwatch provision model [--from FILE | --url URL] (--config edge.yaml | --to PATH) [--check-image IMAGE]',
  async run(args, io: Output) {
    const parsed = parseCommand(
      args,
      { from: { type: 'string' }, url: { type: 'string' }, config: { type: 'string' }, to: { type: 'string' }, input: { type: 'string' }, 'check-image': { type: 'string' }, expect: { type: 'string' }, json: { type: 'boolean' } },
      HELP,
      io,
    );
    if (!parsed) return EXIT.ok;
    const v = parsed.values;
    if (v.from && v.url) throw new UsageError('give --from FILE or --url URL, not both (neither: the model that ships with Wardwatch)');
    if (Boolean(v.config) === Boolean(v.to)) throw new UsageError('give either --config edge.yaml or --to PATH');
    if (v.url && !/^https?:\/\//.test(v.url)) throw new UsageError('--url must be an http:// or https:// URL');
    const given = (v.expect ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (given.length && !v['check-image']) throw new UsageError('--expect goes with --check-image');
    const packaged = packagedModel();
    const source = v.url ? { url: v.url } : { from: v.from ?? packaged.path };
    const checkImage = v['check-image'] ?? packaged.checkImage;
    const expect = v['check-image'] ? given : packaged.expect;

    let target: string;
    let input: ReturnType<typeof chooseInput>;
    if (v.config) {
      const loaded = loadEdgeConfig(v.config, { requireSecrets: false });
      if (!loaded.ok) {
        for (const p of loaded.problems) io.err(formatProblem(p));
        return EXIT.config;
      }
      target = loaded.config.model.path;
      input = chooseInput(v.input, loaded.config.cameras);
    } else {
      target = path.resolve(v.to!);
      input = chooseInput(v.input, undefined);
    }

    mkdirSync(path.dirname(target), { recursive: true });
    const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      const got = await fetchInto(source, tmp);
      const named = 'url' in source ? source.url : source.from;
      if (got.sha256 !== YOLOX_NANO.sha256) {
        throw new ModelError(`${named} is not the YOLOX-Nano model Wardwatch expects: sha256 ${got.sha256} (${got.bytes} bytes), expected ${YOLOX_NANO.sha256} (${YOLOX_NANO.bytes} bytes). Nothing installed`);
      }
      if (input !== 'square') writeFileSync(tmp, withInputSize(readFileSync(tmp), input.width, input.height));
      const check = await checkModel(tmp, checkImage, expect);
      if (check.image?.missing.length) {
        throw new ModelError(`the model ran, but found no ${check.image.missing.join(', ')} in ${check.image.image}. Nothing installed`);
      }
      commitFileSync(tmp, target);
      const found = check.image?.detections.map((d) => `${d.label} ${d.score.toFixed(2)}`).join(', ');
      if (v.json) {
        const inputDims = input === 'square' ? { width: 416, height: 416 } : input;
        io.out(JSON.stringify({ installed: target, sha256: got.sha256, bytes: got.bytes, input: inputDims, inferenceMs: Math.round(check.inferenceMs), detections: check.image?.detections ?? null }));
      } else {
        io.out(`sha256 ok (${got.bytes} bytes); loads and runs (${Math.round(check.inferenceMs)} ms for one frame)`);
        io.out(input === 'square' ? 'input 416×416, as shipped' : `input ${input.width}×${input.height}, shaped like the cameras' frames`);
        if (check.image) io.out(`${path.basename(check.image.image)}: ${found || 'nothing detected'}`);
        io.out(`installed ${target}`);
      }
      return EXIT.ok;
    } catch (err) {
      rmSync(tmp, { force: true });
      if (err instanceof ModelError || err instanceof DetectorError || err instanceof ModelShapeError) {
        io.err(err.message);
        return EXIT.failure;
      }
      throw err;
    }
  },
};
