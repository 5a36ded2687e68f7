// Finds ffmpeg and ffprobe once (configured path → PATH → npm packages) and reads their versions,
// so that every other module asks here which flags this build understands.
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { runJob } from './job.js';

const require = createRequire(import.meta.url);

export interface FfmpegTool {
  path: string;
  /** where it came from, for the start-up log line */
  source: 'config' | 'PATH' | 'npm';
  /** the banner's version word, e.g. "5.1.6" or "N-47683-g0e8eb07980-static" */
  version: string;
  /** libavformat major.minor: the reliable way to tell what the build supports */
  libavformat: [number, number];
}

export interface FfmpegTools {
  ffmpeg: FfmpegTool;
  ffprobe: FfmpegTool;
  /** RTSP socket I/O timeout option: `-stimeout` before libavformat 59 (ffmpeg 5), `-timeout` after */
  rtspTimeoutFlag: '-stimeout' | '-timeout';
}

export interface LocateOptions {
  ffmpegPath?: string | undefined;
  ffprobePath?: string | undefined;
  /** PATH to search; defaults to process.env.PATH */
  searchPath?: string | undefined;
}

export class FfmpegNotFoundError extends Error {
  readonly code = 'FFMPEG_NOT_FOUND';
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string, searchPath: string): string | undefined {
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function fromNpm(pkg: '@ffmpeg-installer/ffmpeg' | '@ffprobe-installer/ffprobe'): string | undefined {
  try {
    const found = (require(pkg) as { path?: string }).path;
    return found && isExecutable(found) ? found : undefined;
  } catch {
    return undefined;
  }
}

/** Parses `ffmpeg -version` / `ffprobe -version` output. Exported for tests. */
export function parseVersion(banner: string): { version: string; libavformat: [number, number] } {
  const version = /version (\S+)/.exec(banner)?.[1] ?? 'unknown';
  const lavf = /libavformat\s+(\d+)\.\s*(\d+)/.exec(banner);
  if (!lavf) throw new Error(`cannot read the libavformat version from: ${banner.slice(0, 200)}`);
  return { version, libavformat: [Number(lavf[1]), Number(lavf[2])] };
}

async function describe(file: string, source: FfmpegTool['source']): Promise<FfmpegTool> {
  const stdout = await runJob(file, ['-version'], { timeoutMs: 10_000 });
  return { path: file, source, ...parseVersion(stdout.toString('utf8')) };
}

async function locateOne(
  name: 'ffmpeg' | 'ffprobe',
  configured: string | undefined,
  searchPath: string,
): Promise<FfmpegTool> {
  if (configured) {
    if (!isExecutable(configured)) {
      throw new FfmpegNotFoundError(`${name} not found at the configured path ${configured}: fix the path or remove it to search PATH`);
    }
    return describe(configured, 'config');
  }
  const system = onPath(name, searchPath);
  if (system) return describe(system, 'PATH');
  const npm = fromNpm(name === 'ffmpeg' ? '@ffmpeg-installer/ffmpeg' : '@ffprobe-installer/ffprobe');
  if (npm) return describe(npm, 'npm');
  throw new FfmpegNotFoundError(
    `${name} not found: install it (Debian: apt-get install ffmpeg) or run npm install to get the bundled build`,
  );
}

let cached: Promise<FfmpegTools> | undefined;

/** Locates both tools. With no options the answer is cached for the process. */
export function locateFfmpeg(options: LocateOptions = {}): Promise<FfmpegTools> {
  const useCache = !options.ffmpegPath && !options.ffprobePath && !options.searchPath;
  if (useCache && cached) return cached;
  const searchPath = options.searchPath ?? process.env.PATH ?? '';
  const found = (async (): Promise<FfmpegTools> => {
    const [ffmpeg, ffprobe] = await Promise.all([
      locateOne('ffmpeg', options.ffmpegPath, searchPath),
      locateOne('ffprobe', options.ffprobePath, searchPath),
    ]);
    return { ffmpeg, ffprobe, rtspTimeoutFlag: ffmpeg.libavformat[0] >= 59 ? '-timeout' : '-stimeout' };
  })();
  if (useCache) {
    cached = found;
    found.catch(() => (cached = undefined));
  }
  return found;
}
