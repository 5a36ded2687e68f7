// Where a new reader may start: keyframe starts in H.264 RTP packet flows as our scenes and MP4 files give them.
import { describe, expect, it } from 'vitest';
import { KeyframeSpotter } from './h264-rtp.js';

const SEI = 6;
const AUD = 9;
const SPS = 7;
const PPS = 8;
const IDR = 5;
const SLICE = 1;
const FU_A = 28;

/** A minimal RTP packet: 12-byte header with the timestamp, then one NAL unit header (or an FU-A's two). */
function packet(timestamp: number, nal: number, fragment?: 'first' | 'middle'): Buffer {
  const header = Buffer.alloc(12);
  header[0] = 0x80;
  header.writeUInt32BE(timestamp, 4);
  if (fragment) return Buffer.concat([header, Buffer.from([FU_A, (fragment === 'first' ? 0x80 : 0) | nal, 0])]);
  return Buffer.concat([header, Buffer.from([nal, 0])]);
}

describe('KeyframeSpotter', () => {
  it.each([
    { name: 'SPS, PPS, IDR (x264 repeat-headers): at the SPS', flow: [[1, SPS], [1, PPS], [1, IDR]], starts: [0, undefined, undefined] },
    { name: 'SEI then IDR (an MP4 copied as is): back at the SEI', flow: [[1, SEI], [1, IDR]], starts: [undefined, 1] },
    { name: 'AUD, SPS, PPS, IDR: back at the AUD', flow: [[1, AUD], [1, SPS], [1, PPS], [1, IDR]], starts: [undefined, 1, undefined, undefined] },
    { name: 'an IDR in fragments: at the first fragment only', flow: [[1, IDR, 'first'], [1, IDR, 'middle'], [1, IDR, 'middle']], starts: [0, undefined, undefined] },
    { name: 'P frames: nowhere', flow: [[1, SLICE], [2, SLICE], [3, SEI], [3, SLICE]], starts: [undefined, undefined, undefined, undefined] },
    { name: 'one keyframe per access unit, the next one counted again', flow: [[1, IDR], [1, IDR], [2, SLICE], [3, SEI], [3, IDR]], starts: [0, undefined, undefined, undefined, 1] },
  ] as const)('$name', ({ flow, starts }) => {
    const spotter = new KeyframeSpotter();
    expect(flow.map(([ts, nal, fragment]) => spotter.keyframeStart(packet(ts, nal, fragment)))).toEqual(starts);
  });
});
