import { describe, expect, it } from 'vitest';
import { BoxSplitter, FragmentAssembler, fragmentStartsWithKeyframe, videoCodecOf } from './mp4-boxes.js';

function box(type: string, ...payload: Buffer[]): Buffer {
  const body = Buffer.concat(payload);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + body.length);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, body]);
}
const u32 = (...n: number[]) => Buffer.concat(n.map((v) => { const b = Buffer.alloc(4); b.writeUInt32BE(v >>> 0); return b; }));

function moovWith(entry: Buffer): Buffer {
  const hdlr = box('hdlr', u32(0, 0), Buffer.from('vide'), Buffer.alloc(12));
  const stsd = box('stsd', u32(0, 1), entry);
  return box('moov', box('trak', box('mdia', hdlr, box('minf', box('stbl', stsd))))); 
}
const visualEntry = (type: string, ...kids: Buffer[]) => box(type, Buffer.alloc(78), ...kids);

/** moof with one traf: tfhd (no defaults) and trun with first-sample-flags */
function moof(firstSampleFlags: number | undefined): Buffer {
  const tfhd = box('tfhd', u32(0x020000, 1));
  const trun = firstSampleFlags === undefined ? box('trun', u32(0x000001, 1, 0)) : box('trun', u32(0x000005, 1, 0, firstSampleFlags));
  return box('moof', box('mfhd', u32(0, 1)), box('traf', tfhd, trun));
}

describe('fMP4 boxes', () => {
  it('splits a byte stream into whole boxes whatever the chunking', () => {
    const stream = Buffer.concat([box('ftyp', Buffer.from('isom')), box('moov', Buffer.alloc(100)), box('mdat', Buffer.alloc(5000))]);
    const splitter = new BoxSplitter();
    const types: string[] = [];
    for (let at = 0; at < stream.length; at += 7) types.push(...splitter.push(stream.subarray(at, at + 7)).map((b) => b.type));
    expect(types).toEqual(['ftyp', 'moov', 'mdat']);
  });

  it('hands out a large box in one piece, byte for byte, only once its last chunk is in (and a 64-bit size)', () => {
    const payload = Buffer.alloc(1_000_000);
    for (let i = 0; i < payload.length; i++) payload[i] = i % 251;
    const large = box('mdat', payload);
    const header64 = Buffer.alloc(16);
    header64.writeUInt32BE(1, 0);
    header64.write('free', 4, 'latin1');
    header64.writeBigUInt64BE(BigInt(16 + 3), 8);
    const stream = Buffer.concat([large, header64, Buffer.from([1, 2, 3]), box('moof', Buffer.alloc(4))]);
    const splitter = new BoxSplitter();
    const got: { type: string; bytes: Buffer; at: number }[] = [];
    for (let at = 0; at < stream.length; at += 65_536) {
      for (const b of splitter.push(stream.subarray(at, at + 65_536))) got.push({ ...b, at });
    }
    expect(got.map((b) => b.type)).toEqual(['mdat', 'free', 'moof']);
    expect(got[0]!.bytes.equals(large)).toBe(true);
    expect(got[0]!.at).toBe(Math.floor((large.length - 1) / 65_536) * 65_536); // not a chunk earlier or later
    expect(got[1]!.bytes.subarray(16)).toEqual(Buffer.from([1, 2, 3]));
  });

  it('refuses a box larger than its limit instead of buffering it', () => {
    expect(() => new BoxSplitter(1000).push(box('mdat', Buffer.alloc(2000)))).toThrow(/larger than the limit/);
  });

  it.each([
    ['H.264 from avcC', visualEntry('avc1', box('avcC', Buffer.from([1, 0x4d, 0x40, 0x1f, 0xff]))), { kind: 'h264', mime: 'avc1.4D401F' }],
    ['H.265 is reported for transcoding', visualEntry('hvc1', box('hvcC', Buffer.alloc(23))), { kind: 'h265', mime: 'hvc1' }],
    ['anything else', visualEntry('mp4v'), { kind: 'other', mime: 'mp4v' }],
  ])('reads the codec: %s', (_name, entry, codec) => {
    expect(videoCodecOf(moovWith(entry))).toEqual(codec);
  });

  it.each([
    ['sync first sample', 0x02000000, true],
    ['non-sync first sample', 0x01010000, false],
  ])('tells a keyframe fragment: %s', (_name, flags, key) => {
    expect(fragmentStartsWithKeyframe(moof(flags))).toBe(key);
  });

  it('groups the init segment, then moof+mdat fragments', () => {
    const a = new FragmentAssembler();
    const s = new BoxSplitter();
    const init = Buffer.concat([box('ftyp', Buffer.from('isom')), moovWith(visualEntry('avc1'))]);
    const out1 = a.push(s.push(Buffer.concat([init, moof(0x02000000), box('mdat', Buffer.alloc(10))])));
    expect(out1.init).toEqual(init);
    expect(out1.fragments.map((f) => f.keyframe)).toEqual([true]);
    const out2 = a.push(s.push(Buffer.concat([moof(0x01010000), box('mdat', Buffer.alloc(10))])));
    expect(out2.init).toBeUndefined();
    expect(out2.fragments.map((f) => f.keyframe)).toEqual([false]);
  });
});
