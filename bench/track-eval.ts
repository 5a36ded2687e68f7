// Offline: the street scene's sub stream decoded at the detect rate, the real detector, tracker and sighting book,
// against the exact truth (frame times are exact here). For tuning the tracker; prints per-kind figures.
//   npx tsx bench/track-eval.ts [--fps 5] [--seconds 60] [--model FILE.onnx]
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
import { STREET_LINES } from '../test-fixtures/camera/street-scene.js';
import { formatsWith, prepareScene } from '../test-fixtures/camera/scene-cache.js';

const { values } = parseArgs({ options: { fps: { type: 'string', default: '5' }, seconds: { type: 'string', default: '60' }, model: { type: 'string', default: packagedModel().path } } });
const fps = Number(values.fps);
const tools = await locateFfmpeg();
const encoded = await prepareScene({ scene: 'street', loopSeconds: 60, formats: formatsWith() }, { ffmpegPath: tools.ffmpeg.path, ffmpegVersion: tools.ffmpeg.version });
const truth = JSON.parse(readFileSync(encoded.groundTruthFile, 'utf8')) as GroundTruth;
const sub = encoded.files.sub;
const W = 640, H = 360;
const detector = await createDetector({ modelPath: values.model!, threads: 2, minScore: FAINT_SCORE });
const tracker = new Tracker({ highScore: 0.5 });
let id = 0;
const book = new SightingBook({ camera: 'c', width: W, height: H, zones: [], lines: STREET_LINES.map((l) => ({ id: l.id, points: l.points })), longStayMs: 300_000, newId: () => String(++id).padStart(26, '0') });
const ff = spawn(tools.ffmpeg.path, ['-hide_banner', '-loglevel', 'error', '-i', sub, '-t', values.seconds!, '-vf', `fps=${fps},scale=${W}:${H}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { stdio: ['ignore', 'pipe', 'inherit'] });
const size = W * H * 3;
let buf = Buffer.alloc(0);
let n = 0;
const sightings: SightingDraft[] = [];
const dump: [number, unknown][] = [];
const counts = new Map<string, number>();
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
    const r = book.observe(update, t);
    sightings.push(...r.sightings);
  }
}
sightings.push(...book.endAll(n * 1000 / fps));
for (const s of sightings) if (s.final) for (const l of s.lines) counts.set(`${l.line} ${l.direction} ${group(s.label)}`, (counts.get(`${l.line} ${l.direction} ${group(s.label)}`) ?? 0) + 1);
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
const labels = new Map<string, number>();
for (const s of sightings) labels.set(`${s.label}${s.riders ? '+r' : ''}`, (labels.get(`${s.label}${s.riders ? '+r' : ''}`) ?? 0) + 1);
console.log('sightings by label', JSON.stringify(Object.fromEntries(labels)));
await detector.close();
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
