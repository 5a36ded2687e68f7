// Offline: the street scene's sub stream decoded at the detect rate, the real detector, tracker and sighting book,
// against the exact truth (frame times are exact here). For tuning the tracker; prints per-kind figures.
//   npx tsx bench/track-eval.ts [--fps 5] [--seconds 60] [--model FILE.onnx] [--shape frame|square] [--min-hits N]
// (--shape as in bench/detect.ts: frame, the default, is the model as provision model installs it)
// Also entry → confirmed per kind in frame time (no pipeline delay), as bench/detect.ts measures it live.
// Tuning aids (environment): TRACE=s (detections and tracks around second s), FOLLOW=object-id (that object's truth
// box, the detections and tracks on it, frame by frame), DEBUG_LATE=1 (passages held late or never), DEBUG_COUNTS=1
// (sightings counted on a line their kind does not cross), DEBUG_CARS=1|riders|people, DUMP=file.json, NO_LOOK=1.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createDetector } from '../edge/detect/detector.js';
import { packagedModel } from '../edge/detect/model-file.js';
import { appearanceOf } from '../edge/detect/appearance.js';
import { FAINT_SCORE, Tracker } from '../edge/detect/tracker.js';
import { SightingBook, type SightingDraft } from '../edge/events/sightings.js';
import { iou } from '../edge/geometry.js';
import { locateFfmpeg } from '../shared/ffmpeg/locate.js';
import { expectedCrossings, pathObjectsOf, streetBoxAt } from '../test-fixtures/camera/path-truth.js';
import type { GroundTruth } from '../test-fixtures/camera/scenes.js';
import type { StreetObject } from '../test-fixtures/camera/truth-types.js';
import { benchModel } from './model-input.js';
import { fullyInAt, heldPassages, passagesIn, quantile, type Seen } from './passages.js';
import { STREET_LINES } from '../test-fixtures/camera/street-scene.js';
import { formatsWith, prepareScene } from '../test-fixtures/camera/scene-cache.js';

const { values } = parseArgs({ options: { fps: { type: 'string', default: '5' }, seconds: { type: 'string', default: '60' }, model: { type: 'string', default: packagedModel().path }, shape: { type: 'string', default: 'frame' }, 'min-hits': { type: 'string' } } });
const fps = Number(values.fps);
const tools = await locateFfmpeg();
const encoded = await prepareScene({ scene: 'street', loopSeconds: 60, formats: formatsWith() }, { ffmpegPath: tools.ffmpeg.path, ffmpegVersion: tools.ffmpeg.version });
const truth = JSON.parse(readFileSync(encoded.groundTruthFile, 'utf8')) as GroundTruth;
const sub = encoded.files.sub;
const W = 640, H = 360;
const model = benchModel(values.model!, values.shape!);
console.log(`model ${model.what}`);
const detector = await createDetector({ modelPath: model.path, threads: 2, minScore: FAINT_SCORE });
const tracker = new Tracker({ highScore: 0.5, ...(values['min-hits'] ? { minHits: Number(values['min-hits']) } : {}) });
let id = 0;
const book = new SightingBook({ camera: 'c', width: W, height: H, zones: [], lines: STREET_LINES.map((l) => ({ id: l.id, points: l.points })), longStayMs: 300_000, newId: () => String(++id).padStart(26, '0') });
const ff = spawn(tools.ffmpeg.path, ['-hide_banner', '-loglevel', 'error', '-i', sub, '-t', values.seconds!, '-vf', `fps=${fps},scale=${W}:${H}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { stdio: ['ignore', 'pipe', 'inherit'] });
const size = W * H * 3;
let buf = Buffer.alloc(0);
let n = 0;
const sightings: SightingDraft[] = [];
const dump: [number, unknown][] = [];
const counts = new Map<string, number>();
const holds: (Seen & { track: number })[] = [];
for await (const chunk of ff.stdout!) {
  buf = Buffer.concat([buf, chunk as Buffer]);
  while (buf.length >= size) {
    const frame = { data: new Uint8Array(buf.subarray(0, size)), width: W, height: H };
    buf = buf.subarray(size);
    const t = Math.round((n++ * 1000) / fps);
    const dets = await detector.detect(frame);
    if (process.env.DUMP) dump.push([t, dets]);
    const update = tracker.update(process.env.NO_LOOK ? dets : dets.map((d) => ({ ...d, appearance: appearanceOf(frame, d.box) })), t);
    if (process.env.TRACE && Math.abs(t / 1000 - Number(process.env.TRACE)) < 1.5) {
      console.log(`t=${t} dets ${dets.map((d) => `${d.label}${d.score.toFixed(2)}@${Math.round(d.box.x)},${Math.round(d.box.y)},${Math.round(d.box.w)}x${Math.round(d.box.h)}`).join(' ')}`);
      console.log(`      tracks ${update.tracks.map((k) => `#${k.id}${k.label}${k.confirmed ? '' : '?'}${k.riders ? 'r' + k.riders : ''}${k.inferred ? 'i' : ''}@${Math.round(k.box.x)},${Math.round(k.box.y)},${Math.round(k.box.w)}x${Math.round(k.box.h)}`).join(' ')}`);
    }
    // every confirmed track's box in every frame (a passage is held from the first frame one is on it)
    for (const k of update.tracks) if (k.confirmed) holds.push({ track: k.id, label: k.label, box: { x: k.box.x / W, y: k.box.y / H, w: k.box.w / W, h: k.box.h / H }, bestAt: t, first: t, last: t });
    if (process.env.FOLLOW) {
      const o = pathObjectsOf(truth).find((x) => x.id === process.env.FOLLOW)!;
      const b = streetBoxAt(o, t / 1000);
      if (b) {
        const tb = { x: (b.x * W) / truth.frame.width, y: (b.y * H) / truth.frame.height, w: (b.width * W) / truth.frame.width, h: (b.height * H) / truth.frame.height };
        const near = update.tracks.filter((k) => iou(k.box, tb) >= 0.1).map((k) => `#${k.id}${k.label}${k.confirmed ? '' : '?'}@${Math.round(k.box.x)},${Math.round(k.box.y)},${Math.round(k.box.w)}x${Math.round(k.box.h)} iou ${iou(k.box, tb).toFixed(2)}`);
        const ds = dets.filter((d) => iou(d.box, tb) >= 0.2).map((d) => `${d.label}${d.score.toFixed(2)}@${Math.round(d.box.x)},${Math.round(d.box.y)},${Math.round(d.box.w)}x${Math.round(d.box.h)}`);
        console.log(`follow t=${t} truth ${Math.round(tb.x)},${Math.round(tb.y)},${Math.round(tb.w)}x${Math.round(tb.h)} dets ${ds.join(' ')} tracks ${near.join(' | ')}`);
      }
    }
    const r = book.observe(update, t);
    sightings.push(...r.sightings);
  }
}
sightings.push(...book.endAll(n * 1000 / fps));
for (const s of sightings) if (s.final) for (const l of s.lines) counts.set(`${l.line} ${l.direction} ${group(s.label)}`, (counts.get(`${l.line} ${l.direction} ${group(s.label)}`) ?? 0) + 1);
if (process.env.DEBUG_COUNTS) for (const s of sightings) if (s.final && s.lines.length > 0 && !(s.label === 'car' || s.label === 'truck' || s.label === 'bus' || (s.riders && s.lines.some((l) => l.line === 'lanes')) || (s.label === 'person' && s.lines.every((l) => l.line === 'zebra')))) console.log(`count? ${s.label} riders ${s.riders} ${(s.first / 1000).toFixed(1)}-${(s.last / 1000).toFixed(1)} box ${JSON.stringify(s.box)} lines ${s.lines.map((l) => l.line + ':' + l.direction).join(',')}`);
function group(l: string) { return ({ bicycle: 'two', motorcycle: 'two', car: 'car', truck: 'car', bus: 'car', person: 'person' } as Record<string, string>)[l] ?? l; }
const end = (n * 1000) / fps;
const want = new Map<string, number>();
for (const c of expectedCrossings(truth, STREET_LINES)) if (c.t * 1000 < end - 2000) want.set(`${c.line} ${c.direction} ${group(c.label)}`, (want.get(`${c.line} ${c.direction} ${group(c.label)}`) ?? 0) + 1);
for (const k of new Set([...want.keys(), ...counts.keys()])) console.log(k.padEnd(28), 'counted', counts.get(k) ?? 0, 'truth', want.get(k) ?? 0);
// identity per kind
const per = new Map<string, { n: number; missed: number; extra: number }>();
for (const o of pathObjectsOf(truth)) {
  if (!o.fullyInFrame || o.fullyInFrame[1] - o.fullyInFrame[0] < 1 || o.inFrame[1] * 1000 > end - 2000) continue;
  const kind = `${o.label}${o.riders ? '+rider' : ''}`;
  const m = sightings.filter((s) => {
    if (group(s.label) !== group(o.label) && !(o.riders && s.label === 'person')) return false;
    const b = streetBoxAt(o, s.bestAt / 1000);
    return b !== undefined && iou({ x: b.x / truth.frame.width, y: b.y / truth.frame.height, w: b.width / truth.frame.width, h: b.height / truth.frame.height }, s.box) >= 0.3;
  });
  const p = per.get(kind) ?? { n: 0, missed: 0, extra: 0 };
  p.n++;
  if (m.length === 0) p.missed++;
  else p.extra += m.length - 1;
  per.set(kind, p);
}
for (const [k, p] of per) console.log(k.padEnd(16), JSON.stringify(p));
// entry → confirmed, in frame time (no pipeline delay): from wholly in the picture, and from wholly visible too
// (nearer objects' boxes cover under a third of it: a far walker behind a passing car is in frame but not in sight)
{
  const passages = passagesIn(truth, 0, 0, end);
  const earliest = new Map<(typeof passages)[number], number>();
  for (const [h, passage] of heldPassages(holds, passages, truth)) if (h.bestAt < (earliest.get(passage) ?? Infinity)) earliest.set(passage, h.bestAt);
  const byKind = new Map<string, { n: number; fromFull: number[]; fromVisible: number[] }>();
  for (const p of passages) {
    const kind = `${p.o.label}${p.o.riders ? '+rider' : ''}`;
    const k = byKind.get(kind) ?? { n: 0, fromFull: [], fromVisible: [] };
    k.n++;
    byKind.set(kind, k);
    const at = earliest.get(p);
    if (process.env.DEBUG_LATE && (at === undefined || at - fullyInAt(p) > 1500)) console.log(`late ${p.o.id} base ${p.base} full ${p.o.fullyInFrame![0]} confirmed ${at ?? 'never'}`);
    if (at === undefined) continue;
    k.fromFull.push(at - fullyInAt(p));
    const visible = visibleFrom(p.o as StreetObject);
    if (visible !== undefined) k.fromVisible.push(at - visible * 1000);
  }
  const all = [...byKind.values()];
  const line = (name: string, k: { n: number; fromFull: number[]; fromVisible: number[] }) =>
    console.log(`entry → confirmed ${name.padEnd(14)} ${k.n} passages, ${k.n - k.fromFull.length} never; from wholly in frame p50 ${quantile(k.fromFull, 0.5)} p95 ${quantile(k.fromFull, 0.95)} ms; from wholly visible p50 ${quantile(k.fromVisible, 0.5)} p95 ${quantile(k.fromVisible, 0.95)} ms`);
  for (const [kind, k] of byKind) line(kind, k);
  line('all', { n: all.reduce((a, k) => a + k.n, 0), fromFull: all.flatMap((k) => k.fromFull), fromVisible: all.flatMap((k) => k.fromVisible) });
}
/** The first time (loop s) the object is wholly in frame with nearer objects' boxes over under a third of it. */
function visibleFrom(o: StreetObject): number | undefined {
  const others = (truth.street?.objects ?? []).filter((x) => x.layer > o.layer);
  for (let t = o.fullyInFrame![0]; t <= o.fullyInFrame![1]; t += 0.05) {
    const b = streetBoxAt(o, t)!;
    const area = b.width * b.height;
    let covered = 0;
    for (const x of others) {
      const c = streetBoxAt(x, t);
      if (!c) continue;
      const w = Math.min(b.x + b.width, c.x + c.width) - Math.max(b.x, c.x);
      const h = Math.min(b.y + b.height, c.y + c.height) - Math.max(b.y, c.y);
      if (w > 0 && h > 0) covered += w * h;
    }
    if (covered < area / 3) return t;
  }
  return undefined;
}
const labels = new Map<string, number>();
for (const s of sightings) labels.set(`${s.label}${s.riders ? '+r' : ''}`, (labels.get(`${s.label}${s.riders ? '+r' : ''}`) ?? 0) + 1);
console.log('sightings by label', JSON.stringify(Object.fromEntries(labels)));
await detector.close();
model.remove();
if (process.env.DUMP) (await import('node:fs')).writeFileSync(process.env.DUMP, JSON.stringify(dump));
if (process.env.DEBUG_CARS) {
  for (const o of pathObjectsOf(truth)) {
    if (o.label !== (process.env.DEBUG_CARS === 'riders' ? 'bicycle' : process.env.DEBUG_CARS === 'people' ? 'person' : 'car') || !o.fullyInFrame || o.inFrame[1] * 1000 > end - 2000) continue;
    const dir = o.path.at(-1)![1] > o.path[0]![1] ? '→' : '←';
    const m = sightings.filter((s) => {
      if (group(s.label) !== group(o.label)) return false;
      const b = streetBoxAt(o, s.bestAt / 1000);
      return b !== undefined && iou({ x: b.x / truth.frame.width, y: b.y / truth.frame.height, w: b.width / truth.frame.width, h: b.height / truth.frame.height }, s.box) >= 0.3;
    });
    console.log(o.id, dir, `y=${o.path[0]![2]}`, `in ${o.inFrame.map((v) => v.toFixed(1)).join('-')}`, m.map((s) => `${s.label} ${(s.first / 1000).toFixed(1)}-${(s.last / 1000).toFixed(1)} lines ${s.lines.map((l) => l.line + ':' + l.direction).join(',')}`).join(' | '));
  }
}
