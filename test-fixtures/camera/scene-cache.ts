// Encodes a scene once and keeps it in .cache/scenes/ keyed by a hash of everything that shapes
// the picture, so that cameras only ever loop files with `-c copy` (live x264 costs ~17 % of a core).
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Logger } from '../../shared/log.js';
import { MEDIA_DIR } from '../media/index.js';
import {
  DEFAULT_FORMATS,
  encoderArgs,
  groundTruthFor,
  renderScene,
  type GroundTruth,
  type SceneName,
  type StreamFormat,
  type StreamName,
} from './scenes.js';

const run = promisify(execFile);

/** Bump when the drawing or encoding changes in a way the hashed arguments do not show. */
const CACHE_FORMAT = 1;

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DEFAULT_CACHE_DIR = path.join(REPO_ROOT, '.cache/scenes');
export const DEFAULT_MEDIA_DIR = MEDIA_DIR;

export interface SceneRequest {
  scene: SceneName;
  loopSeconds: number;
  formats: Record<StreamName, StreamFormat>;
}

export interface EncodedScene extends SceneRequest {
  key: string;
  files: Record<StreamName, string>;
  groundTruth: GroundTruth;
  /** the ground truth JSON beside the video files */
  groundTruthFile: string;
  /** true when the files were already in the cache (nothing was encoded) */
  reused: boolean;
}

export interface SceneCacheOptions {
  ffmpegPath: string;
  ffmpegVersion: string;
  cacheDir?: string | undefined;
  mediaDir?: string | undefined;
  logger?: Logger | undefined;
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

/** Scenes being encoded by this process: two farms asking at once share one encode. */
const inFlight = new Map<string, Promise<EncodedScene>>();

export function prepareScene(request: SceneRequest, options: SceneCacheOptions): Promise<EncodedScene> {
  const cacheDir = options.cacheDir ?? DEFAULT_CACHE_DIR;
  const mediaDir = options.mediaDir ?? DEFAULT_MEDIA_DIR;
  const render = renderScene(request.scene, request.loopSeconds, request.formats, mediaDir);
  const outputArgs = (stream: StreamName): string[] => [
    '-map', `[${stream}]`, '-t', String(request.loopSeconds), ...encoderArgs(request.formats[stream]),
  ];
  const key = createHash('sha256')
    .update(JSON.stringify({ CACHE_FORMAT, ffmpeg: options.ffmpegVersion, render, main: outputArgs('main'), sub: outputArgs('sub') }))
    .digest('hex')
    .slice(0, 16);
  const base = path.join(cacheDir, `${request.scene}-${key}`);
  const files = { main: `${base}-main.mp4`, sub: `${base}-sub.mp4` };
  const groundTruthFile = `${base}.json`;
  const groundTruth = groundTruthFor(request.scene, request.loopSeconds, request.formats.main);
  const result = (reused: boolean): EncodedScene => ({ ...request, key, files, groundTruth, groundTruthFile, reused });

  const pending = inFlight.get(base);
  if (pending) return pending;
  const work = (async (): Promise<EncodedScene> => {
    // the JSON is renamed into place last: its presence means both videos are complete
    if ((await exists(groundTruthFile)) && (await exists(files.main)) && (await exists(files.sub))) return result(true);
    await mkdir(cacheDir, { recursive: true });
    const tmp = `.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const tmpFiles = { main: `${files.main}${tmp}`, sub: `${files.sub}${tmp}` };
    const started = Date.now();
    options.logger?.info({ scene: request.scene, key }, 'encoding scene (once, then cached)');
    try {
      await run(
        options.ffmpegPath,
        [
          '-hide_banner', '-loglevel', 'error', '-nostdin', '-y',
          ...render.inputs,
          '-filter_complex', render.filter,
          ...outputArgs('main'), '-f', 'mp4', tmpFiles.main,
          ...outputArgs('sub'), '-f', 'mp4', tmpFiles.sub,
        ],
        { timeout: 10 * 60_000, maxBuffer: 4 * 1024 * 1024 },
      );
      await rename(tmpFiles.main, files.main);
      await rename(tmpFiles.sub, files.sub);
      const jsonTmp = `${groundTruthFile}${tmp}`;
      await writeFile(jsonTmp, `${JSON.stringify({ ...groundTruth, files: { main: path.basename(files.main), sub: path.basename(files.sub) } }, null, 2)}\n`);
      await rename(jsonTmp, groundTruthFile);
    } finally {
      await Promise.all(Object.values(tmpFiles).map((f) => rm(f, { force: true })));
    }
    options.logger?.info({ scene: request.scene, key, ms: Date.now() - started }, 'scene encoded');
    return result(false);
  })();
  inFlight.set(base, work);
  void work.finally(() => inFlight.delete(base)).catch(() => undefined);
  return work;
}

/** Reads the ground truth JSON of a cached scene (for tools that only have the file). */
export async function readGroundTruth(file: string): Promise<GroundTruth> {
  return JSON.parse(await readFile(file, 'utf8')) as GroundTruth;
}

export function formatsWith(overrides: Partial<Record<StreamName, Partial<StreamFormat>>> = {}): Record<StreamName, StreamFormat> {
  return {
    main: { ...DEFAULT_FORMATS.main, ...overrides.main },
    sub: { ...DEFAULT_FORMATS.sub, ...overrides.sub },
  };
}
