// A short ffmpeg job (a snapshot, a clip cut) run to completion: the one-shot runner of shared/ffmpeg/job.ts,
// under the name the event code calls it by.
import { runJob } from '../../shared/ffmpeg/job.js';

export { FfmpegJobError } from '../../shared/ffmpeg/job.js';

export function runFfmpeg(ffmpegPath: string, args: string[], timeoutMs = 60_000): Promise<Buffer> {
  return runJob(ffmpegPath, args, { timeoutMs });
}
