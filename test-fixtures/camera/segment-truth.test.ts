// Segment truth: packet-size fingerprints, placement on the feeder timeline, and a real ffmpeg segment
// recorder's segments checked against it (independently of the product's segment index).
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recorderArgs } from '../../shared/ffmpeg/args.js';
import { locateFfmpeg, type FfmpegTools } from '../../shared/ffmpeg/locate.js';
import { sleep, untilWith } from '../../test/until.js';
import type { FakeCamera } from './camera.js';
import { startCameraFarm, type CameraFarm } from './farm.js';
import type { Feeder } from './feeder.js';
import type { StreamName } from './scenes.js';
import { matchSceneFrame, placeOnTimeline, segmentTruth, SegmentTruthError, type SegmentTruth } from './segment-truth.js';
import { Timeline } from './timeline.js';

const until = untilWith(10_000, 50);

describe('matchSceneFrame', () => {
  const scene = [10, 20, 30, 40, 50, 60];
  it.each([
    { what: 'a match at the first frame', scene, segment: [10, 20, 30, 40], frame: 0 },
    { what: 'a match across the loop wrap', scene, segment: [50, 60, 10, 20, 30], frame: 4 },
    { what: 'a segment longer than the loop', scene, segment: [30, 40, 50, 60, 10, 20, 30, 40], frame: 2 },
  ])('finds $what', ({ scene, segment, frame }) => {
    expect(matchSceneFrame(scene, segment)).toEqual({ ok: true, frame });
  });

  it.each([
    { what: 'no match', segment: [11, 12, 13, 14], code: 'NO_MATCH', reason: /occur nowhere in the scene's 6 frames: another scene/ },
    {
      what: 'a frame lost midway',
      segment: [20, 30, 40, 50, 10, 20],
      code: 'NO_MATCH',
      reason: /the first 4 match from scene frame 1, then packet 4 is 10 bytes where the scene has 60: a frame lost/,
    },
    { what: 'fewer than 4 packets', segment: [10, 20, 30], code: 'SEGMENT_TOO_SHORT', reason: /3 video packet\(s\); 4 are needed/ },
  ])('refuses $what', ({ segment, code, reason }) => {
    const match = matchSceneFrame(scene, segment);
    expect(match).toMatchObject({ ok: false, code });
    expect(match.ok === false && match.reason).toMatch(reason);
  });

  it('refuses two matches', () => {
    expect(matchSceneFrame([1, 2, 3, 4, 9, 1, 2, 3, 4, 8], [1, 2, 3, 4])).toEqual({
      ok: false,
      code: 'AMBIGUOUS',
      reason: 'its 4 packet sizes occur at scene frames 0, 5; record a longer segment',
    });
  });
});

describe('placeOnTimeline', () => {
  // a 12 s loop at 15 fps (180 frames, 6000 ticks each), keyframes every 2 s arriving on time from 10 000 ms
  const timeline = new Timeline();
  timeline.startRun(1, 9_000);
  for (let k = 0; k < 30; k++) timeline.markKeyframe(k * 180_000, 10_000 + k * 2000);
  const place = (approxStartMs: number, sceneFrame = 30, frames = 60): ReturnType<typeof placeOnTimeline> =>
    placeOnTimeline(timeline, { sceneFrame, frames, loopFrames: 180, ticksPerFrame: 6000, approxStartMs });

  it.each([
    { approx: 12_000, loop: 0 },
    { approx: 17_900, loop: 0 }, // under half a loop late
    { approx: 18_100, loop: 1 }, // over half a loop: the next loop's frame 30 is nearer
    { approx: 5_000, loop: 0 }, // before the run: never a loop before the first
  ])('picks the loop nearest the approximate start: $approx ms → loop $loop', ({ approx, loop }) => {
    expect(place(approx)).toEqual({ startMs: 12_000 + loop * 12_000, endMs: 16_000 + loop * 12_000, loop, run: 1 });
  });

  it('places frames in the feeder run that was sending then', () => {
    const restarted = new Timeline();
    restarted.startRun(1, 0);
    restarted.markKeyframe(0, 1000);
    restarted.startRun(2, 50_000);
    restarted.markKeyframe(0, 50_500);
    expect(placeOnTimeline(restarted, { sceneFrame: 0, frames: 30, loopFrames: 180, ticksPerFrame: 6000, approxStartMs: 51_000 }))
      .toEqual({ startMs: 50_500, endMs: 52_500, loop: 0, run: 2 });
  });
});

interface Segment {
  file: string;
  /** seconds from the recording's start, from the segment list */
  startSeconds: number;
  /** when the recorder listed it (it had just received the next segment's first frame) */
  listedAtMs: number;
}

interface Recording {
  stream: StreamName;
  startedAtMs: number;
  /** the cached GOP is handed over on PLAY: the subscription happened between these two polls */
  subscribedBetween: [number, number];
  segments: Segment[];
}

const LOOP_SECONDS = 12;
const SEGMENT_SECONDS = 4;
const RECORD_MS = 14_000;

let tools: FfmpegTools;
let farm: CameraFarm;
let workDir: string;
const recordings = new Map<StreamName, Recording>();
const truths = new Map<StreamName, SegmentTruth[]>();
const camera = (): FakeCamera => farm.cameras[0]!;

/** Records one stream with the product's recorder arguments (plain ffmpeg, nothing of the product around it). */
async function record(stream: StreamName): Promise<Recording> {
  const feeder = camera().stream(stream).feeder;
  const args = recorderArgs(tools, {
    url: camera().urlWithCredentials(stream),
    timeoutSeconds: 5,
    segmentSeconds: SEGMENT_SECONDS,
    pattern: path.join(workDir, `${stream}-%s.mp4`),
  });
  const startedAtMs = Date.now();
  const subscribed = watchSubscription(feeder, RECORD_MS);
  subscribed.catch(() => undefined); // awaited after the recording
  const child = spawn(tools.ffmpeg.path, args, { stdio: ['ignore', 'pipe', 'ignore'] });
  const segments: Segment[] = [];
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (text: string) => {
    for (const line of text.trim().split('\n')) {
      const [file, start] = line.split(',');
      segments.push({ file: path.join(workDir, file!), startSeconds: Number(start), listedAtMs: Date.now() });
    }
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await sleep(RECORD_MS);
  child.kill('SIGINT'); // ends the last segment cleanly and lists it
  await exited;
  return { stream, startedAtMs, subscribedBetween: await subscribed, segments };
}

/** Polls the feeder's reader count every 5 ms: the recorder's PLAY happened between the two returned times. */
function watchSubscription(feeder: Feeder, timeoutMs: number): Promise<[number, number]> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    let before = Date.now();
    const timer = setInterval(() => {
      const now = Date.now();
      if (feeder.subscriberCount > 0) {
        clearInterval(timer);
        resolve([before, now]);
      } else if (now > deadline) {
        clearInterval(timer);
        reject(new Error(`the recorder did not start reading within ${timeoutMs} ms`));
      } else {
        before = now;
      }
    }, 5);
  });
}

/** The last segment, cut by the SIGINT, may hold too few frames to place: then it is left out. */
async function truthOf(recording: Recording, segment: Segment, last: boolean): Promise<SegmentTruth | undefined> {
  try {
    return await segmentTruth({
      ffprobePath: tools.ffprobe.path,
      camera: camera(),
      stream: recording.stream,
      file: segment.file,
      approxStartMs: recording.startedAtMs + segment.startSeconds * 1000,
    });
  } catch (error) {
    if (last && error instanceof SegmentTruthError && error.code === 'SEGMENT_TOO_SHORT') return undefined;
    throw error;
  }
}

describe('segmentTruth of a real recorder', () => {
  beforeAll(async () => {
    tools = await locateFfmpeg();
    workDir = await mkdtemp(path.join(os.tmpdir(), 'wardwatch-segment-truth-'));
    farm = await startCameraFarm({ count: 1, scene: 'quiet', loopSeconds: LOOP_SECONDS });
    // a recorder starting now gets a cached GOP that is not the run's first (as in a long-running farm)
    await until('a second keyframe on both feeders', () =>
      (['main', 'sub'] as const).every((s) => (camera().stream(s).feeder.timeline.runs.at(-1)?.keyframes.length ?? 0) >= 2),
    );
    const both = await Promise.all([record('main'), record('sub')]);
    for (const recording of both) {
      recordings.set(recording.stream, recording);
      const placed = await Promise.all(recording.segments.map((segment, i) => truthOf(recording, segment, i === recording.segments.length - 1)));
      truths.set(recording.stream, placed.filter((t) => t !== undefined));
    }
  }, 120_000);

  afterAll(async () => {
    await farm?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  describe.each(['main', 'sub'] as const)('%s stream', (stream) => {
    const fps = (): number => camera().stream(stream).fps;

    it('places every segment, and consecutive segments abut (one frame ends where the next begins)', () => {
      const truth = truths.get(stream)!;
      expect(truth.length).toBeGreaterThanOrEqual(3);
      for (const [i, next] of truth.slice(1).entries()) {
        expect(Math.abs(next.startMs - truth[i]!.endMs)).toBeLessThanOrEqual(2);
        expect(next.sceneFrame).toBe((truth[i]!.sceneFrame + truth[i]!.frames) % (LOOP_SECONDS * fps()));
      }
    });

    it('starts the first segment at (within tens of ms of) the arrival of the cached GOP keyframe the recorder was given', () => {
      const { subscribedBetween: [before, after] } = recordings.get(stream)!;
      const keyframes = camera().stream(stream).feeder.timeline.runs.at(-1)!.keyframes;
      const cached = keyframes.filter((k) => k.arrivalMs <= before).at(-1)!;
      // a keyframe arriving during the 5 ms poll may have been the one handed over instead
      const possible = [cached, ...keyframes.filter((k) => k.arrivalMs > before && k.arrivalMs <= after)].map((k) => k.arrivalMs);
      const start = truths.get(stream)![0]!.startMs;
      // the truth is the media clock, which a keyframe's own arrival may trail by a few tens of ms
      expect(Math.min(...possible.map((p) => Math.abs(p - start)))).toBeLessThanOrEqual(50);
      expect(truths.get(stream)![0]!.startMs).toBeLessThan(after);
    });

    it('gives a 4 s segment 4000 ms of wall clock, within one frame', () => {
      const whole = truths.get(stream)!.filter((t) => t.frames === SEGMENT_SECONDS * fps());
      expect(whole.length).toBeGreaterThanOrEqual(1);
      for (const t of whole) expect(Math.abs(t.endMs - t.startMs - SEGMENT_SECONDS * 1000)).toBeLessThanOrEqual(1000 / fps());
    });

    it('agrees with the recorder: it lists a segment just after the truth end (when the next keyframe reached it)', () => {
      const { segments } = recordings.get(stream)!;
      const truth = truths.get(stream)!;
      for (const [i, segment] of segments.slice(0, -1).entries()) {
        const lag = segment.listedAtMs - truth[i]!.endMs;
        expect(lag).toBeGreaterThanOrEqual(-1); // Date.now() is whole milliseconds
        expect(lag).toBeLessThan(1000); // keyframes are 2000 ms apart: a wrong one would be off by that
      }
    });
  });

  it("refuses a segment of another scene file (the sub stream's), saying why", async () => {
    const subSegment = recordings.get('sub')!.segments[1]!;
    const placing = segmentTruth({ ffprobePath: tools.ffprobe.path, camera: camera(), stream: 'main', file: subSegment.file, approxStartMs: Date.now() });
    await expect(placing).rejects.toBeInstanceOf(SegmentTruthError);
    await expect(placing).rejects.toMatchObject({ code: 'NO_MATCH' });
    await expect(placing).rejects.toThrow(/cannot place .*sub-\d+\.mp4 in camera cam1's main stream \(quiet-[0-9a-f]+-main\.mp4\): its packet sizes .* occur nowhere/);
  });
});
