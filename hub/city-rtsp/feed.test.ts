// A camera stream for the city's RTSP, fed the fragmented MP4 real ffmpeg makes as a ward box does: an SDP from the
// init segment, every frame once as RTP with keyframes marked, paced at the frames' rhythm, and a clock that runs on
// when the box's stream starts again (a new init segment, times from 0).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locateFfmpeg } from '../../shared/ffmpeg/locate.js';
import { silentLogger } from '../../shared/log.js';
import { BoxSplitter, FragmentAssembler } from '../../shared/mp4-boxes.js';
import type { RtspConnection } from '../../shared/rtsp/connection.js';
import { depacketizedTypes } from '../../test/rtp.js';
import { rtpTimestamp } from '../../shared/rtsp/h264-rtp.js';
import type { PacketBatch } from '../../shared/rtsp/rtp-batch.js';
import { CityFeed } from './feed.js';

const run = promisify(execFile);
let dir: string;
let init: Buffer;
let fragments: Buffer[];

beforeAll(async () => {
  const tools = await locateFfmpeg();
  dir = await mkdtemp(path.join(os.tmpdir(), 'ww-feed-'));
  const file = path.join(dir, 'live.mp4');
  // 1 s at 20 fps, a keyframe every 0.5 s: two fragments of 10 frames
  await run(tools.ffmpeg.path, ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=20', '-t', '1', '-c:v', 'libx264', '-g', '10', '-bf', '0', '-pix_fmt', 'yuv420p', '-f', 'mp4', '-movflags', 'frag_keyframe+empty_moov+default_base_moof', file]);
  const out = new FragmentAssembler().push(new BoxSplitter().push(await readFile(file)));
  init = out.init!;
  fragments = out.fragments.map((f) => f.bytes);
}, 60_000);

afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

function feed() {
  const ended: string[] = [];
  const f = new CityFeed('p01', 'cam-1', 'main', 'relay-1', 'city-vms', { lingerMs: 60_000, logger: silentLogger(), hooks: { played: () => undefined, stopped: () => undefined, ended: (_f, m) => ended.push(m) } });
  const got: { at: number; batch: PacketBatch }[] = [];
  // the connection is handed to the hooks, and closed when the feed ends: no socket here
  const connection = { close: () => undefined } as unknown as RtspConnection;
  f.subscribe({ deliver: (batch) => got.push({ at: Date.now(), batch }) }, connection);
  return { f, got, ended };
}

describe('CityFeed', () => {
  it('describes the stream from the init segment, then sends every frame as RTP at the frames\' rhythm', async () => {
    const { f, got } = feed();
    expect(f.describe()).toBeUndefined();
    f.reader.init(init, '{"type":"init"}');
    expect(await f.ready(1000)).toBeUndefined();
    expect(f.describe()).toMatch(/m=video 0 RTP\/AVP 96\r\na=rtpmap:96 H264\/90000\r\na=fmtp:96 packetization-mode=1; sprop-parameter-sets=\S+,\S+; profile-level-id=[0-9A-F]{6}\r\n/);
    const start = Date.now();
    f.reader.fragment(fragments[0]!, true);
    await new Promise((r) => setTimeout(r, 700));
    expect(got).toHaveLength(10);
    // paced: the 10th frame of a 0.5 s fragment leaves ~450 ms after the first, not in one burst
    expect(got[9]!.at - start).toBeGreaterThan(350);
    expect(got.map((g) => g.batch.keyframeAt)).toEqual([0, ...Array<number>(9).fill(-1)]);
    // a keyframe carries SPS and PPS in band before its IDR
    const types = depacketizedTypes(got[0]!.batch.packets);
    expect(types.slice(0, 2)).toEqual([7, 8]);
    expect(types).toContain(5);
    expect(got.slice(1).every((g) => !depacketizedTypes(g.batch.packets).includes(5))).toBe(true);
    const times = got.map((g) => rtpTimestamp(g.batch.packets[0]!));
    expect(times.slice(1).map((t, i) => (t - times[i]! + 2 ** 32) % 2 ** 32)).toEqual(Array<number>(9).fill(4500)); // 90 kHz / 20 fps
    f.end('test over');
  });

  it('keeps its clock running when the box\'s stream starts again from 0', async () => {
    const { f, got } = feed();
    f.reader.init(init, '{"type":"init"}');
    f.reader.fragment(fragments[0]!, true);
    f.reader.fragment(fragments[1]!, true); // sends what is left of the first at once
    f.reader.init(init, '{"type":"init"}');
    f.reader.fragment(fragments[0]!, true);
    await new Promise((r) => setTimeout(r, 700));
    expect(got).toHaveLength(30);
    const times = got.map((g) => rtpTimestamp(g.batch.packets[0]!));
    expect(times.slice(1).map((t, i) => (t - times[i]! + 2 ** 32) % 2 ** 32)).toEqual(Array<number>(29).fill(4500));
    f.end('test over');
  });

  it('ends when its relay ends: DESCRIBE waiting is told why, and its relay let go', async () => {
    const { f, ended } = feed();
    let left = false;
    f.attach(() => (left = true));
    const waiting = f.ready(5000);
    f.reader.end('the ward box ended the live view');
    expect(await waiting).toBe('the ward box ended the live view');
    expect(left).toBe(true);
    expect(ended).toEqual(['the ward box ended the live view']);
  });
});
