// Where a new reader may start (keyframe starts in H.264 RTP packet flows as our scenes and MP4 files give them),
// and access units cut into RTP packets and joined again.
import { describe, expect, it } from 'vitest';
import { H264Packetizer, KeyframeSpotter } from './h264-rtp.js';

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

/** Joins the payloads of RTP packets of one access unit back into NAL units (single NAL and FU-A). */
function depacketize(packets: readonly Buffer[]): Buffer[] {
  const nals: Buffer[] = [];
  let fragments: Buffer[] = [];
  for (const p of packets) {
    const payload = p.subarray(12);
    const type = payload[0]! & 0x1f;
    if (type !== FU_A) {
      nals.push(payload);
      continue;
    }
    const header = payload[1]!;
    if (header & 0x80) fragments = [Buffer.from([(payload[0]! & 0xe0) | (header & 0x1f)])];
    fragments.push(payload.subarray(2));
    if (header & 0x40) nals.push(Buffer.concat(fragments));
  }
  return nals;
}

describe('H264Packetizer', () => {
  const nal = (type: number, length: number) => Buffer.concat([Buffer.from([0x60 | type]), Buffer.alloc(length - 1, type)]);
  it.each([
    { name: 'small NAL units go whole, one packet each', nals: [nal(SPS, 20), nal(PPS, 5), nal(IDR, 900)], packets: 3 },
    { name: 'a large NAL unit goes in FU-A fragments of at most the payload size', nals: [nal(IDR, 2995)], packets: 3 },
    { name: 'exactly the payload size still goes whole', nals: [nal(SLICE, 1000)], packets: 1 },
    { name: 'empty NAL units are skipped', nals: [Buffer.alloc(0), nal(SLICE, 10)], packets: 1 },
  ])('$name', ({ nals, packets }) => {
    const p = new H264Packetizer({ payloadType: 96, ssrc: 0x1234abcd, firstSeq: 0xfffe, maxPayload: 1000 });
    const out = p.packetize(nals, 2 ** 32 + 90_000);
    expect(out).toHaveLength(packets);
    expect(out.every((x) => x.length <= 12 + 1000)).toBe(true);
    expect(out.map((x) => x.readUInt16BE(2))).toEqual([0xfffe, 0xffff, 0, 1].slice(0, packets)); // sequence wraps
    expect(out.map((x) => x[1]! >> 7)).toEqual([...Array<number>(packets - 1).fill(0), 1]); // marker on the last
    expect(out.every((x) => (x[1]! & 0x7f) === 96 && x.readUInt32BE(4) === 90_000 && x.readUInt32BE(8) === 0x1234abcd)).toBe(true);
    expect(depacketize(out)).toEqual(nals.filter((n) => n.length));
  });

  it('starts a keyframe where the KeyframeSpotter sees one', () => {
    const p = new H264Packetizer({ payloadType: 96, ssrc: 1 });
    const spotter = new KeyframeSpotter();
    const starts = [...p.packetize([nal(SPS, 20), nal(PPS, 5), nal(IDR, 5000)], 3000), ...p.packetize([nal(SLICE, 3000)], 6000)].map((x) => spotter.keyframeStart(x));
    expect(starts).toEqual([0, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined]);
  });
});
