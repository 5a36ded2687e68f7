// A farm of fake cameras in this process: scenes encoded (or found in the cache), one feeder per
// (scene, stream) shared by all cameras showing it, one RTSP server per camera; or, in file mode, one camera
// and one feeder per video file. stop() ends it all.
import path from 'node:path';
import { locateFfmpeg } from '../../shared/ffmpeg/locate.js';
import { silentLogger, type Logger } from '../../shared/log.js';
import { FakeCamera } from './camera.js';
import { Feeder } from './feeder.js';
import { probeFileSource, type FileSource } from './file-source.js';
import { formatsWith, prepareScene, type EncodedScene } from './scene-cache.js';
import type { GroundTruth, SceneName, StreamFormat, StreamName } from './scenes.js';

export interface FarmOptions {
  /** number of cameras (default 1) */
  count?: number | undefined;
  /** scene for every camera (default `quiet`) … */
  scene?: SceneName | undefined;
  /** … or scenes given round-robin to the cameras */
  scenes?: readonly SceneName[] | undefined;
  /** Digest credentials; default admin / wardwatch-cam. `auth: false` turns authentication off. */
  username?: string | undefined;
  password?: string | undefined;
  auth?: boolean | undefined;
  /** scene loop length in seconds (default 60; tests use short loops: the first encode is their cost) */
  loopSeconds?: number | undefined;
  mainSize?: { width: number; height: number } | undefined;
  subSize?: { width: number; height: number } | undefined;
  /** main stream fps (default 15) */
  fps?: number | undefined;
  /** sub stream fps (default 10) */
  subFps?: number | undefined;
  mainBitrateKbps?: number | undefined;
  subBitrateKbps?: number | undefined;
  /** drop a session after this long without a request or RTCP (default 60) */
  sessionTimeoutSeconds?: number | undefined;
  /** scene cache (default <repo>/.cache/scenes) */
  cacheDir?: string | undefined;
  /** where person.jpg and dog.jpg are (default test-fixtures/media) */
  mediaDir?: string | undefined;
  /**
   * File mode: serve each of these video files as a camera instead of scenes (not with `count`, `scene` or
   * `scenes`). Looped with `-re -stream_loop -1 -c copy` like the scenes; its video is both `main` and `sub`;
   * it must be H.264 (else FileSourceError says why, with ffprobe's facts). Such cameras have no ground truth.
   */
  files?: readonly string[] | undefined;
  /** first camera id is `${idPrefix}1` (default `cam`) */
  idPrefix?: string | undefined;
  logger?: Logger | undefined;
}

/** `Truth` is undefined for a farm in file mode. */
export interface CameraFarm<Truth extends GroundTruth | undefined = GroundTruth> {
  cameras: FakeCamera<Truth>[];
  /** the encoded scenes in use, by name (empty in file mode) */
  scenes: Map<SceneName, EncodedScene>;
  /** file mode: what each served file holds, by camera id */
  files: Map<string, FileSource>;
  /** the shared feeders, by `<scene>/<stream>` or `file/<camera id>` (pids for CPU accounting) */
  feeders: Map<string, Feeder>;
  stop(): Promise<void>;
}

export const DEFAULT_CREDENTIALS = { username: 'admin', password: 'wardwatch-cam' } as const;

export function startCameraFarm(options: FarmOptions & { files: readonly string[] }): Promise<CameraFarm<undefined>>;
export function startCameraFarm(options?: FarmOptions & { files?: undefined }): Promise<CameraFarm>;
export function startCameraFarm(options: FarmOptions): Promise<CameraFarm<GroundTruth | undefined>>;
export async function startCameraFarm(options: FarmOptions = {}): Promise<CameraFarm<GroundTruth | undefined>> {
  if (options.files) return startFileFarm(options.files, options);
  const logger = options.logger ?? silentLogger();
  const count = options.count ?? 1;
  const sceneList = options.scenes?.length ? options.scenes : [options.scene ?? 'quiet'];
  const loopSeconds = options.loopSeconds ?? 60;
  const overrides: Partial<Record<StreamName, Partial<StreamFormat>>> = {
    main: { ...options.mainSize, ...(options.fps && { fps: options.fps }), ...(options.mainBitrateKbps && { bitrateKbps: options.mainBitrateKbps }) },
    sub: { ...options.subSize, ...(options.subFps && { fps: options.subFps }), ...(options.subBitrateKbps && { bitrateKbps: options.subBitrateKbps }) },
  };
  const formats = formatsWith(overrides);
  const tools = await locateFfmpeg();
  const credentials = options.auth === false
    ? undefined
    : { username: options.username ?? DEFAULT_CREDENTIALS.username, password: options.password ?? DEFAULT_CREDENTIALS.password };

  const scenes = new Map<SceneName, EncodedScene>();
  const { feeders, cameras, stop } = farmParts<GroundTruth>();

  try {
    // encode one scene at a time: two x264 runs at once would only fight over 2 cores
    for (const scene of new Set(sceneList)) {
      scenes.set(scene, await prepareScene({ scene, loopSeconds, formats }, {
        ffmpegPath: tools.ffmpeg.path,
        ffmpegVersion: tools.ffmpeg.version,
        cacheDir: options.cacheDir,
        mediaDir: options.mediaDir,
        logger,
      }));
    }
    for (const [scene, encoded] of scenes) {
      for (const stream of ['main', 'sub'] as const) {
        const name = `${scene}/${stream}`;
        feeders.set(name, await Feeder.start({
          ffmpegPath: tools.ffmpeg.path,
          file: encoded.files[stream],
          loopSeconds,
          timestampJumpSeconds: encoded.groundTruth.timestampJump?.jumpSeconds,
          logger,
          name,
        }));
      }
    }
    for (let i = 0; i < count; i++) {
      const scene = sceneList[i % sceneList.length]!;
      const encoded = scenes.get(scene)!;
      const stream = (name: StreamName): { feeder: Feeder; format: StreamFormat } => ({
        feeder: feeders.get(`${scene}/${name}`)!,
        format: formats[name],
      });
      cameras.push(await FakeCamera.start({
        id: `${options.idPrefix ?? 'cam'}${i + 1}`,
        streams: { main: stream('main'), sub: stream('sub') },
        groundTruth: encoded.groundTruth,
        credentials,
        sessionTimeoutSeconds: options.sessionTimeoutSeconds ?? 60,
        logger,
      }));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  logger.info({ cameras: cameras.length, scenes: [...scenes.keys()] }, 'camera farm up');
  return { cameras, scenes, files: new Map(), feeders, stop };
}

/** The feeders and cameras of a farm, and how to stop them (also when this process exits). */
function farmParts<Truth extends GroundTruth | undefined>(): { feeders: Map<string, Feeder>; cameras: FakeCamera<Truth>[]; stop(): Promise<void> } {
  const feeders = new Map<string, Feeder>();
  const cameras: FakeCamera<Truth>[] = [];
  const killAll = (): void => {
    for (const feeder of feeders.values()) feeder.killNow();
  };
  process.once('exit', killAll);
  const stop = async (): Promise<void> => {
    process.off('exit', killAll);
    await Promise.all(cameras.map((c) => c.stop()));
    await Promise.all([...feeders.values()].map((f) => f.stop()));
  };
  return { feeders, cameras, stop };
}

/** File mode: one feeder and one camera per file, serving its video as both streams. */
async function startFileFarm(paths: readonly string[], options: FarmOptions): Promise<CameraFarm<undefined>> {
  if (options.count !== undefined || options.scene !== undefined || options.scenes?.length) {
    throw new Error('camera farm: `files` serves files instead of scenes; leave out count, scene and scenes');
  }
  if (paths.length === 0) throw new Error('camera farm: `files` is empty; give at least one video file');
  const logger = options.logger ?? silentLogger();
  const tools = await locateFfmpeg();
  const credentials = options.auth === false
    ? undefined
    : { username: options.username ?? DEFAULT_CREDENTIALS.username, password: options.password ?? DEFAULT_CREDENTIALS.password };
  // every file is checked before anything starts, and all problems are reported at once
  const probed = await Promise.allSettled(paths.map((file) => probeFileSource(tools, file)));
  const problems = probed.flatMap((p) => (p.status === 'rejected' ? [(p.reason as Error).message] : []));
  if (problems.length > 0) throw new Error(problems.join('\n'));
  const sources = probed.map((p) => (p as PromiseFulfilledResult<FileSource>).value);

  const files = new Map<string, FileSource>();
  const { feeders, cameras, stop } = farmParts<undefined>();
  try {
    for (const [i, source] of sources.entries()) {
      const id = `${options.idPrefix ?? 'cam'}${i + 1}`;
      const name = `file/${id}`;
      const feeder = await Feeder.start({ ffmpegPath: tools.ffmpeg.path, file: source.file, loopSeconds: source.durationSeconds, logger, name });
      feeders.set(name, feeder);
      files.set(id, source);
      const format: StreamFormat = { width: source.width, height: source.height, fps: source.fps, bitrateKbps: source.bitrateKbps ?? 0 };
      cameras.push(await FakeCamera.start({
        id,
        streams: { main: { feeder, format }, sub: { feeder, format } },
        groundTruth: undefined,
        credentials,
        sessionTimeoutSeconds: options.sessionTimeoutSeconds ?? 60,
        logger,
      }));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  logger.info({ cameras: cameras.length, files: sources.map((s) => path.basename(s.file)) }, 'camera farm up (file mode)');
  return { cameras, scenes: new Map(), files, feeders, stop };
}

export interface SingleCamera {
  camera: FakeCamera;
  scene: EncodedScene;
  stop(): Promise<void>;
}

/** One camera showing a scene: a farm of one. */
export async function startCamera(options: Omit<FarmOptions, 'count' | 'scenes' | 'files'> = {}): Promise<SingleCamera> {
  const farm = await startCameraFarm({ ...options, count: 1 });
  return { camera: farm.cameras[0]!, scene: [...farm.scenes.values()][0]!, stop: farm.stop };
}
