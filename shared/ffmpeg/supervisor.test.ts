// The restart loop with the real ffmpeg: restarts with the policy's waits, the stall watchdog, graceful and
// immediate stops, a run that cannot be prepared, the bounded stderr tail.
import { beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../log.js';
import { locateFfmpeg, type FfmpegTools } from './locate.js';
import { DelaySteps } from './restart-policy.js';
import { FfmpegSupervisor, type AfterRun, type FfmpegSupervisorOptions, type RunEnd } from './supervisor.js';

let tools: FfmpegTools;
const lavfi = (source: string) => ['-hide_banner', '-nostdin', '-loglevel', 'error', '-f', 'lavfi', '-i', source];
/** a run that goes on until stopped: 10 small frames a second on stdout, read at their own pace */
const endless = () => ['-hide_banner', '-nostdin', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=32x32:rate=10', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'];

beforeAll(async () => {
  tools = await locateFfmpeg();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function supervise(o: Partial<FfmpegSupervisorOptions> & Pick<FfmpegSupervisorOptions, 'prepare' | 'onEnd'>): FfmpegSupervisor {
  return new FfmpegSupervisor({ ffmpegPath: tools.ffmpeg.path, onRun: () => undefined, policy: new DelaySteps([100]), tailChars: 2000, logger: silentLogger(), ...o });
}

describe('FfmpegSupervisor', () => {
  it('restarts ffmpeg after every exit, waiting what the policy says, until stopped', async () => {
    const starts: number[] = [];
    const ends: RunEnd[] = [];
    const s = supervise({
      prepare: () => {
        starts.push(Date.now());
        return Promise.resolve({ args: [...lavfi('testsrc=size=32x32:rate=10:duration=0.2'), '-f', 'null', '-'] });
      },
      onEnd: (end) => {
        ends.push(end);
        return 'restart';
      },
      policy: new DelaySteps([300, 600]),
    });
    s.start();
    await until('three runs', () => ends.length >= 3);
    await s.stop();
    const runs = ends.length;
    expect(ends.slice(0, 3).map((e) => [e.started, e.code, e.signal, e.endedBy])).toEqual(Array(3).fill([true, 0, null, undefined]));
    // the waits between one run's end and the next start: 300 ms, then 600 ms (and no less)
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(300);
    expect(starts[2]! - starts[1]!).toBeGreaterThanOrEqual(600);
    await sleep(800);
    expect(ends.length).toBe(runs);
    expect(s.running).toBe(false);
  }, 30_000);

  it('kills a run that shows no progress for the stall time, and not one that does', async () => {
    let feeding = true;
    let stalls = 0;
    let end: RunEnd | undefined;
    const s: FfmpegSupervisor = supervise({
      prepare: () => Promise.resolve({ args: endless() }),
      onRun: (run) => run.stdout.on('data', () => feeding && s.alive()),
      onEnd: (e) => {
        end = e;
        return 'idle';
      },
      stall: { afterMs: 1500, onStall: () => stalls++ },
    });
    s.start();
    await sleep(3500);
    expect(end).toBeUndefined();
    expect(s.running).toBe(true);
    const stoppedFeeding = Date.now();
    feeding = false;
    await until('the stalled run to end', () => end !== undefined, 10_000);
    expect(Date.now() - stoppedFeeding).toBeGreaterThanOrEqual(1500);
    expect(Date.now() - stoppedFeeding).toBeLessThan(4000);
    expect(stalls).toBeGreaterThanOrEqual(1);
    expect(end).toMatchObject({ started: true, endedBy: 'stall', signal: 'SIGKILL' });
    expect(s.running).toBe(false); // 'idle': no restart
    await s.stop();
  }, 30_000);

  it.each([
    { how: 'gracefully (SIGINT: ffmpeg ends by itself)', options: { signal: 'SIGINT' as const }, signal: null },
    { how: 'at once (SIGKILL)', options: {}, signal: 'SIGKILL' },
  ])('stops $how and waits for the end to be handled', async ({ options, signal }) => {
    let handled = false;
    const s = supervise({
      prepare: () => Promise.resolve({ args: endless() }),
      onEnd: async (end): Promise<AfterRun> => {
        await sleep(200);
        handled = end.endedBy === 'stop' && end.signal === signal;
        return 'restart';
      },
    });
    s.start();
    await until('the run', () => s.pid !== undefined);
    await sleep(500);
    await s.stop(options);
    expect(handled).toBe(true);
    expect(s.pid).toBeUndefined();
  }, 30_000);

  it('tells the owner of a run that could not be prepared, and goes idle on undefined', async () => {
    const ends: RunEnd[] = [];
    let prepared = 0;
    const s = supervise({
      prepare: () => (prepared++ === 0 ? Promise.reject(new Error('cannot resolve cam-7.local')) : Promise.resolve(undefined)),
      onEnd: (end): AfterRun => {
        ends.push(end);
        return 'now';
      },
    });
    s.start();
    await until('the second prepare', () => prepared === 2);
    await sleep(300);
    expect(ends).toHaveLength(1);
    expect(ends[0]).toMatchObject({ started: false, code: null, endedBy: undefined });
    expect(ends[0]!.error?.message).toBe('cannot resolve cam-7.local');
    expect(s.running).toBe(false);
    // idle: start() begins again
    s.start();
    await until('a third prepare', () => prepared === 3);
    await s.stop();
  });

  it('tells the owner of an ffmpeg that cannot be spawned', async () => {
    const ends: RunEnd[] = [];
    const s = supervise({
      ffmpegPath: '/nonexistent/bin/ffmpeg',
      prepare: () => Promise.resolve({ args: ['-version'] }),
      onEnd: (end) => {
        ends.push(end);
        return 'idle';
      },
    });
    s.start();
    await until('the end', () => ends.length === 1);
    expect(ends[0]).toMatchObject({ started: true, signal: null });
    expect(ends[0]!.error?.message).toMatch(/ENOENT/);
    await s.stop();
  });

  it("keeps a bounded tail of what ffmpeg said, without the owner's lines", async () => {
    const ends: RunEnd[] = [];
    const taken: string[] = [];
    const s = supervise({
      prepare: () => Promise.resolve({ args: ['-hide_banner', '-nostdin', '-i', '/nonexistent/input.mp4', '-f', 'null', '-'] }),
      onStderrLine: (line) => line.startsWith('[owner]') && taken.push(line) > 0,
      onEnd: (end) => {
        ends.push(end);
        return ends.length < 2 ? 'now' : 'idle';
      },
      tailChars: 40,
    });
    s.start();
    await until('two runs', () => ends.length === 2);
    expect(ends[0]!.code).not.toBe(0);
    expect(ends[0]!.stderr.length).toBeLessThanOrEqual(40);
    expect(ends[0]!.lastLine).toMatch(/No such file or directory$/);
    expect(taken).toEqual([]);
    await s.stop();
  });

  it('wakes a sleep when stopped', async () => {
    const s = supervise({ prepare: () => Promise.resolve(undefined), onEnd: () => 'idle' });
    const t0 = Date.now();
    const slept = s.sleep(10_000);
    await s.stop();
    await slept;
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});
