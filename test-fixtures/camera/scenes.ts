// What each fake-camera scene shows: a drawn street, objects cut from two photos crossing it on a
// fixed schedule, and the ground truth of that schedule. Pure: builds the ffmpeg filter graph,
// the encoding happens in scene-cache.ts. The dense `street` scene lives in street-scene.ts.
import { CUTOUTS_BY_LABEL, type Cutout } from './cutouts.js';
import { pathObjectsOf, streetBoxAt } from './path-truth.js';
import { STREET_LINES, STREET_SEED, STREET_ZONES, streetObjects, streetOverlays, streetScenery } from './street-scene.js';
import type { Box, GroundTruth, GroundTruthObject, ObjectLabel, SceneName } from './truth-types.js';

export type { Box, GroundTruth, GroundTruthObject, ObjectLabel, SceneName, StreetTruth } from './truth-types.js';

export const SCENE_NAMES: readonly SceneName[] = ['quiet', 'traffic', 'jump', 'street'];

export type StreamName = 'main' | 'sub';

export interface StreamFormat {
  width: number;
  height: number;
  fps: number;
  /** target bitrate; x264 runs CBR-like (maxrate = bitrate, buffer = 2 s of it) */
  bitrateKbps: number;
}

export const DEFAULT_FORMATS: Record<StreamName, StreamFormat> = {
  main: { width: 1280, height: 720, fps: 15, bitrateKbps: 4000 },
  sub: { width: 640, height: 360, fps: 10, bitrateKbps: 500 },
};

/** GOP length in seconds for both streams, as most cameras ship (keyint = 2 × fps). */
export const GOP_SECONDS = 2;

/** Where an object is at a loop offset (unclipped; undefined when it is not in frame). */
export function boxAt(object: GroundTruthObject, loopOffsetSeconds: number): Box | undefined {
  const t = loopOffsetSeconds;
  if (t < object.enterSeconds || t > object.leaveSeconds) return undefined;
  const progress = (t - object.enterSeconds) / (object.leaveSeconds - object.enterSeconds);
  const x = object.xAtEnter + (object.xAtLeave - object.xAtEnter) * progress;
  return { x, y: object.y, width: object.width, height: object.height };
}

/** The labels in frame at a loop offset (any scene). */
export function labelsAt(truth: GroundTruth, loopOffsetSeconds: number): ObjectLabel[] {
  return pathObjectsOf(truth).filter((o) => streetBoxAt(o, loopOffsetSeconds)).map((o) => o.label);
}

/** The traffic scene's three crossings: which cut-out (cutouts.ts), how big, where and when. */
interface Crossing extends Cutout {
  label: ObjectLabel;
  /** drawn height at 720p: large enough for YOLOX-Nano on the 640×360 sub stream */
  heightAt720: number;
  /** bottom edge at 720p: on the road */
  bottomAt720: number;
  /** share of the loop: when it enters and leaves (60 s loop → 5–15 s, 20–30 s, 35–45 s) */
  window: [number, number];
  direction: GroundTruthObject['direction'];
}

const CROSSINGS: Crossing[] = [
  {
    label: 'person',
    ...CUTOUTS_BY_LABEL.person,
    heightAt720: 360,
    bottomAt720: 600,
    window: [5 / 60, 15 / 60],
    direction: 'left-to-right',
  },
  {
    label: 'bicycle',
    ...CUTOUTS_BY_LABEL.bicycle,
    heightAt720: 300,
    bottomAt720: 620,
    window: [20 / 60, 30 / 60],
    direction: 'right-to-left',
  },
  {
    label: 'car',
    ...CUTOUTS_BY_LABEL.car,
    heightAt720: 230,
    bottomAt720: 560,
    window: [35 / 60, 45 / 60],
    direction: 'left-to-right',
  },
];

const even = (n: number): number => Math.max(2, 2 * Math.round(n / 2));
const round3 = (n: number): number => Math.round(n * 1000) / 1000;

/** Ground truth for a scene at a loop length and main-stream size. */
export function groundTruthFor(scene: SceneName, loopSeconds: number, main: { width: number; height: number }): GroundTruth {
  const scale = main.height / 720;
  const objects = scene !== 'traffic' ? [] : CROSSINGS.map((c): GroundTruthObject => {
    const height = even(c.heightAt720 * scale);
    const width = even((c.crop.width * height) / c.crop.height);
    const enterSeconds = round3(c.window[0] * loopSeconds);
    const leaveSeconds = round3(c.window[1] * loopSeconds);
    // travel is W + w pixels; being fully in takes w of them at each end
    const edgeSeconds = ((leaveSeconds - enterSeconds) * width) / (main.width + width);
    const leftToRight = c.direction === 'left-to-right';
    return {
      label: c.label,
      enterSeconds,
      leaveSeconds,
      fullyInFrom: round3(enterSeconds + edgeSeconds),
      fullyInUntil: round3(leaveSeconds - edgeSeconds),
      direction: c.direction,
      xAtEnter: leftToRight ? -width : main.width,
      xAtLeave: leftToRight ? main.width : -width,
      y: Math.round(c.bottomAt720 * scale) - height,
      width,
      height,
    };
  });
  return {
    scene,
    loopSeconds,
    frame: { width: main.width, height: main.height },
    objects,
    timestampJump: scene === 'jump' ? { atLoopOffsetSeconds: 0, jumpSeconds: 3600 } : undefined,
    street: scene === 'street'
      ? { seed: STREET_SEED, objects: streetObjects(loopSeconds, main, STREET_SEED), lines: STREET_LINES, zones: STREET_ZONES }
      : undefined,
  };
}

/** The street: sky, a row of buildings, pavements with kerbs, a road with dashed lane marks. */
function streetBoxes(width: number, height: number): string {
  const sx = (v: number): number => Math.round((v * width) / 1280);
  const sy = (v: number): number => Math.round((v * height) / 720);
  const box = (x: number, y: number, w: number, h: number, color: string): string =>
    `drawbox=x=${sx(x)}:y=${sy(y)}:w=${sx(w)}:h=${sy(h)}:color=${color}:t=fill`;
  const parts = [
    box(0, 0, 1280, 170, '0x9fb3c4'),
    box(0, 170, 1280, 110, '0x6e5a4a'),
    ...[60, 300, 540, 780, 1020].map((x) => box(x, 195, 120, 50, '0x3a3f47')), // windows
    box(0, 280, 1280, 40, '0xa8a8a0'),
    box(0, 320, 1280, 8, '0xd0d0c8'),
    box(0, 630, 1280, 8, '0xd0d0c8'),
    box(0, 638, 1280, 82, '0xa8a8a0'),
    ...[40, 280, 520, 760, 1000, 1240].map((x) => box(x, 474, 120, 10, 'white')),
  ];
  return parts.join(',');
}

export interface SceneRender {
  /** ffmpeg input arguments (lavfi background, looped photos) */
  inputs: string[];
  /** -filter_complex text with outputs [main] and [sub] */
  filter: string;
}

/**
 * The ffmpeg graph for a scene: both streams come out of one graph (sub = main scaled and
 * decimated), so an object is at the same place at the same loop offset in both.
 */
export function renderScene(
  scene: SceneName,
  loopSeconds: number,
  formats: Record<StreamName, StreamFormat>,
  mediaDir: string,
): SceneRender {
  const { main, sub } = formats;
  const truth = groundTruthFor(scene, loopSeconds, main);
  const inputs = ['-f', 'lavfi', '-i', `color=c=0x6b6b6b:s=${main.width}x${main.height}:r=${main.fps}:d=${loopSeconds}`];
  const scenery = scene === 'street' ? streetScenery(main.width, main.height) : streetBoxes(main.width, main.height);
  const chains: string[] = [`[0]${scenery}[bg0]`];
  let last = 'bg0';
  if (scene === 'street') {
    const drawn = streetOverlays(truth.street!.objects, { base: last, firstInput: 1, mediaDir, fps: main.fps });
    inputs.push(...drawn.inputs);
    chains.push(...drawn.chains);
    last = drawn.last;
  }
  if (scene === 'traffic') {
    const sources = [...new Set(CROSSINGS.map((c) => c.source))];
    for (const source of sources) {
      inputs.push('-framerate', String(main.fps), '-loop', '1', '-i', `${mediaDir}/${source}`);
    }
    truth.objects.forEach((object, i) => {
      const cut = CROSSINGS[i]!;
      const input = 1 + sources.indexOf(cut.source);
      const { x, y, width, height } = cut.crop;
      chains.push(`[${input}]crop=${width}:${height}:${x}:${y},scale=${object.width}:${object.height},setsar=1[obj${i}]`);
      const span = object.leaveSeconds - object.enterSeconds;
      const xExpr = `${object.xAtEnter}+(${object.xAtLeave - object.xAtEnter})*(t-${object.enterSeconds})/${span}`;
      chains.push(
        `[${last}][obj${i}]overlay=x='${xExpr}':y=${object.y}:enable='between(t,${object.enterSeconds},${object.leaveSeconds})':eof_action=pass[bg${i + 1}]`,
      );
      last = `bg${i + 1}`;
    });
  }
  if (scene === 'jump') {
    // a small marker sweeping the sky once per loop, so a viewer sees where in the loop it is
    const size = even(main.height / 24);
    const input = inputs.filter((a) => a === '-i').length;
    inputs.push('-f', 'lavfi', '-i', `color=c=0xffd000:s=${size}x${size}:r=${main.fps}:d=${loopSeconds}`);
    chains.push(`[${last}][${input}]overlay=x='(${main.width - size})*t/${loopSeconds}':y=${size}[bgj]`);
    last = 'bgj';
  }
  // temporal sensor noise: every frame differs, as on a real sensor, so the encoder has real work
  chains.push(`[${last}]noise=alls=6:allf=t,format=yuv420p,split[main][sub0]`);
  chains.push(`[sub0]scale=${sub.width}:${sub.height},fps=${sub.fps}[sub]`);
  return { inputs, filter: chains.join(';') };
}

/** x264 arguments for one stream: no B-frames, fixed GOP, CBR-like, SPS/PPS before every IDR. */
export function encoderArgs(format: StreamFormat): string[] {
  const keyint = String(format.fps * GOP_SECONDS);
  return [
    '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'main', '-bf', '0',
    '-g', keyint, '-keyint_min', keyint, '-sc_threshold', '0',
    '-b:v', `${format.bitrateKbps}k`, '-maxrate', `${format.bitrateKbps}k`, '-bufsize', `${2 * format.bitrateKbps}k`,
    '-x264-params', 'repeat-headers=1', '-r', String(format.fps), '-an',
  ];
}
