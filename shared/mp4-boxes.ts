// Reading a fragmented MP4 byte stream: top-level boxes out of arbitrary chunks, the init segment (ftyp+moov),
// media fragments (moof+mdat) and whether one starts at a keyframe, and the codec the browser must decode.

export interface Mp4Box {
  type: string;
  /** the whole box, header included */
  bytes: Buffer;
}

/**
 * Splits a byte stream into whole top-level boxes, whatever the chunking. A box larger than `maxBoxBytes`
 * is an error (a broken stream must not grow memory without bound).
 */
export class BoxSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** bytes the first unfinished box needs in all: chunks are only joined once it is complete */
  private needed = 8;

  constructor(private readonly maxBoxBytes = 64 * 1024 * 1024) {}

  push(chunk: Buffer): Mp4Box[] {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    // a media fragment (a whole GOP) comes in dozens of pipe reads: joining them at every read would copy it
    // over and over, so wait until the box is all here
    if (this.pendingBytes < this.needed) return [];
    const buf = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    const out: Mp4Box[] = [];
    let at = 0;
    this.needed = 8;
    for (;;) {
      if (buf.length - at < 8) break;
      let size = buf.readUInt32BE(at);
      let header = 8;
      if (size === 1) {
        if (buf.length - at < 16) {
          this.needed = 16;
          break;
        }
        size = Number(buf.readBigUInt64BE(at + 8));
        header = 16;
      }
      if (size < header) throw new Error(`bad MP4 box size ${size} at byte ${at}`);
      if (size > this.maxBoxBytes) throw new Error(`MP4 box of ${size} bytes is larger than the limit of ${this.maxBoxBytes}`);
      if (buf.length - at < size) {
        this.needed = size;
        break;
      }
      out.push({ type: buf.toString('latin1', at + 4, at + 8), bytes: buf.subarray(at, at + size) });
      at += size;
    }
    const rest = buf.subarray(at);
    // the boxes handed out keep referencing `buf`: a remainder kept after them is copied so it does not pin it
    this.pending = rest.length ? [out.length ? Buffer.from(rest) : rest] : [];
    this.pendingBytes = rest.length;
    return out;
  }
}

/** The children of a container box's payload (starting `offset` bytes into `bytes`). */
export function childBoxes(bytes: Buffer, offset = 8): Mp4Box[] {
  const out: Mp4Box[] = [];
  let at = offset;
  while (at + 8 <= bytes.length) {
    const size = bytes.readUInt32BE(at);
    if (size < 8 || at + size > bytes.length) break;
    out.push({ type: bytes.toString('latin1', at + 4, at + 8), bytes: bytes.subarray(at, at + size) });
    at += size;
  }
  return out;
}

function findPath(box: Mp4Box, path: readonly string[]): Mp4Box | undefined {
  let current: Mp4Box | undefined = box;
  for (const type of path) {
    current = current && childBoxes(current.bytes).find((b) => b.type === type);
  }
  return current;
}

export type VideoCodec = { kind: 'h264'; mime: string } | { kind: 'h265'; mime: string } | { kind: 'other'; mime: string };

/**
 * The video codec of an init segment's first video track, as an MSE codec string. H.264 comes from avcC
 * (`avc1.PPCCLL`: profile, constraint flags, level); H.265 is reported so it can be transcoded.
 */
export function videoCodecOf(moov: Buffer): VideoCodec | undefined {
  for (const trak of childBoxes(moov).filter((b) => b.type === 'trak')) {
    const hdlr = findPath({ type: 'trak', bytes: trak.bytes }, ['mdia', 'hdlr']);
    if (!hdlr || hdlr.bytes.toString('latin1', 16, 20) !== 'vide') continue;
    const stsd = findPath({ type: 'trak', bytes: trak.bytes }, ['mdia', 'minf', 'stbl', 'stsd']);
    if (!stsd) continue;
    // stsd: full box header (4) + entry count (4), then sample entries
    const entry = childBoxes(stsd.bytes, 16)[0];
    if (!entry) continue;
    if (entry.type === 'avc1' || entry.type === 'avc3') {
      // visual sample entry: 8 header + 78 bytes of fields, then its boxes
      const avcC = childBoxes(entry.bytes, 86).find((b) => b.type === 'avcC');
      if (!avcC || avcC.bytes.length < 12) return { kind: 'h264', mime: `${entry.type}.42E01E` };
      const hex = (n: number) => n.toString(16).toUpperCase().padStart(2, '0');
      return { kind: 'h264', mime: `${entry.type}.${hex(avcC.bytes[9]!)}${hex(avcC.bytes[10]!)}${hex(avcC.bytes[11]!)}` };
    }
    if (entry.type === 'hvc1' || entry.type === 'hev1') return { kind: 'h265', mime: entry.type };
    return { kind: 'other', mime: entry.type };
  }
  return undefined;
}

const NON_SYNC = 0x10000; // sample_is_non_sync_sample in ISO/IEC 14496-12 sample flags

/** Does this moof's first video sample say it is a sync sample (a keyframe)? */
export function fragmentStartsWithKeyframe(moof: Buffer): boolean {
  const traf = childBoxes(moof).find((b) => b.type === 'traf');
  if (!traf) return false;
  const kids = childBoxes(traf.bytes);
  const tfhd = kids.find((b) => b.type === 'tfhd');
  const trun = kids.find((b) => b.type === 'trun');
  if (!tfhd || !trun) return false;
  let defaultFlags: number | undefined;
  const tfhdFlags = tfhd.bytes.readUInt32BE(8) & 0xffffff;
  let at = 16; // after header, version/flags, track id
  if (tfhdFlags & 0x1) at += 8; // base data offset
  if (tfhdFlags & 0x2) at += 4; // sample description index
  if (tfhdFlags & 0x8) at += 4; // default sample duration
  if (tfhdFlags & 0x10) at += 4; // default sample size
  if (tfhdFlags & 0x20) defaultFlags = tfhd.bytes.readUInt32BE(at);
  const trunFlags = trun.bytes.readUInt32BE(8) & 0xffffff;
  let t = 16; // after header, version/flags, sample count
  if (trunFlags & 0x1) t += 4; // data offset
  if (trunFlags & 0x4) return (trun.bytes.readUInt32BE(t) & NON_SYNC) === 0; // first sample flags
  if (trunFlags & 0x400) {
    // per-sample flags: skip duration and size of the first sample when present
    const skip = (trunFlags & 0x100 ? 4 : 0) + (trunFlags & 0x200 ? 4 : 0);
    return (trun.bytes.readUInt32BE(t + skip) & NON_SYNC) === 0;
  }
  return defaultFlags === undefined ? true : (defaultFlags & NON_SYNC) === 0;
}

/**
 * Groups a box stream into what a viewer needs: the init segment (everything up to and including moov) once,
 * then media fragments (a moof with the boxes up to the next moof, i.e. its mdat).
 */
export class FragmentAssembler {
  private initParts: Buffer[] = [];
  private init: Buffer | undefined;
  private fragment: Buffer[] = [];
  private fragmentIsKey = false;

  /** Feeds boxes; returns what became complete: the init segment and/or whole fragments. */
  push(boxes: readonly Mp4Box[]): { init?: Buffer; fragments: { bytes: Buffer; keyframe: boolean }[] } {
    const out: { init?: Buffer; fragments: { bytes: Buffer; keyframe: boolean }[] } = { fragments: [] };
    for (const box of boxes) {
      if (!this.init) {
        if (box.type === 'moof') throw new Error('a media fragment came before the init segment (moov)');
        this.initParts.push(box.bytes);
        if (box.type === 'moov') {
          this.init = Buffer.concat(this.initParts);
          this.initParts = [];
          out.init = this.init;
        }
        continue;
      }
      if (box.type === 'moof') {
        this.fragment = [box.bytes];
        this.fragmentIsKey = fragmentStartsWithKeyframe(box.bytes);
      } else if (this.fragment.length) {
        this.fragment.push(box.bytes);
        if (box.type === 'mdat') {
          out.fragments.push({ bytes: Buffer.concat(this.fragment), keyframe: this.fragmentIsKey });
          this.fragment = [];
        }
      }
    }
    return out;
  }
}

/** A video track's time scale, from an init segment's moov (its first track's mdhd), and that track's id. */
export function firstTrackTiming(moov: Buffer): { trackId: number; timescale: number } | undefined {
  const trak = childBoxes(moov).find((b) => b.type === 'trak');
  const tkhd = trak && childBoxes(trak.bytes).find((b) => b.type === 'tkhd');
  const mdhd = trak && findPath(trak, ['mdia', 'mdhd']);
  if (!tkhd || !mdhd) return undefined;
  // tkhd: version 1 has 64-bit times before the track id; mdhd likewise before the time scale
  const trackId = tkhd.bytes.readUInt32BE(tkhd.bytes[8] === 1 ? 28 : 20);
  const timescale = mdhd.bytes.readUInt32BE(mdhd.bytes[8] === 1 ? 28 : 20);
  return timescale ? { trackId, timescale } : undefined;
}

/** A media fragment's start on its track's clock (tfdt's base media decode time), or undefined without one. */
export function fragmentDecodeTime(moof: Buffer, trackId: number): number | undefined {
  for (const traf of childBoxes(moof).filter((b) => b.type === 'traf')) {
    const parts = childBoxes(traf.bytes);
    const tfhd = parts.find((b) => b.type === 'tfhd');
    const tfdt = parts.find((b) => b.type === 'tfdt');
    if (!tfhd || !tfdt || tfhd.bytes.readUInt32BE(12) !== trackId) continue;
    return tfdt.bytes[8] === 1 ? Number(tfdt.bytes.readBigUInt64BE(12)) : tfdt.bytes.readUInt32BE(12);
  }
  return undefined;
}
