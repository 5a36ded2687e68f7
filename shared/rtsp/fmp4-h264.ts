// H.264 access units out of a fragmented MP4 (what a ward box pushes for a live view: `-c copy -f mp4 -movflags
// frag_keyframe+empty_moov+default_base_moof`): the parameter sets and time scale from the init segment's avcC and
// mdhd, then each fragment's samples (trun sizes, durations, flags, composition offsets) cut into NAL units. Parsed
// here, not by one more ffmpeg per relay: a few buffer reads per frame against a process and a pipe per camera.
import { childBoxes, firstTrackTiming, type Mp4Box } from '../mp4-boxes.js';

export interface H264Track {
  trackId: number;
  timescale: number;
  /** bytes of each NAL unit's length prefix in a sample (1, 2 or 4) */
  lengthSize: number;
  sps: Buffer[];
  pps: Buffer[];
}

export interface AccessUnit {
  /** decode and presentation time on the track's clock */
  dts: number;
  pts: number;
  duration: number;
  keyframe: boolean;
  /** NAL units without their length prefixes */
  nals: Buffer[];
}

export class Fmp4Error extends Error {
  readonly code = 'FMP4';
}

const NON_SYNC = 0x10000;

function child(box: Mp4Box, type: string, offset = 8): Mp4Box | undefined {
  return childBoxes(box.bytes, offset).find((b) => b.type === type);
}

/** The H.264 track of an init segment (ftyp+moov, or the moov alone). */
export function h264TrackOf(init: Buffer): H264Track {
  const top = childBoxes(init, 0);
  const moov = top.find((b) => b.type === 'moov') ?? (init.toString('latin1', 4, 8) === 'moov' ? { type: 'moov', bytes: init } : undefined);
  if (!moov) throw new Fmp4Error('the init segment has no moov box');
  const timing = firstTrackTiming(moov.bytes);
  const trak = child(moov, 'trak');
  let box: Mp4Box | undefined = trak;
  for (const type of ['mdia', 'minf', 'stbl', 'stsd']) box = box && child(box, type);
  // stsd: full box header and entry count (16 bytes), then the sample entry; avc1's own boxes after 86 bytes
  const entry = box && childBoxes(box.bytes, 16)[0];
  if (!timing || !entry) throw new Fmp4Error('the init segment has no video track with a sample description');
  if (entry.type !== 'avc1' && entry.type !== 'avc3') throw new Fmp4Error(`the stream is ${entry.type}, not H.264: the city's RTSP serves H.264 only`);
  const avcC = child(entry, 'avcC', 86);
  if (!avcC || avcC.bytes.length < 15) throw new Fmp4Error('the H.264 sample entry has no avcC');
  const b = avcC.bytes;
  const lengthSize = (b[12]! & 0x03) + 1;
  // avcC: version, profile, compatibility, level, length size − 1, SPS count, SPSs, PPS count, PPSs
  let at = 14;
  const sets = (count: number): Buffer[] => {
    const out: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      if (at + 2 > b.length) throw new Fmp4Error('avcC is cut short');
      const n = b.readUInt16BE(at);
      out.push(Buffer.from(b.subarray(at + 2, at + 2 + n)));
      at += 2 + n;
    }
    return out;
  };
  const sps = sets(b[13]! & 0x1f);
  const ppsCount = b[at] ?? 0;
  at += 1;
  const pps = sets(ppsCount);
  if (!sps.length || !pps.length) throw new Fmp4Error('avcC carries no SPS or no PPS');
  return { ...timing, lengthSize, sps, pps };
}

/** The samples of one media fragment (a moof and its mdat, as the relay forwards them) as access units. */
export function accessUnits(fragment: Buffer, track: H264Track): AccessUnit[] {
  const out: AccessUnit[] = [];
  const boxes = childBoxes(fragment, 0);
  const moof = boxes.find((b) => b.type === 'moof');
  if (!moof) throw new Fmp4Error('a media fragment without a moof box');
  const moofStart = moof.bytes.byteOffset - fragment.byteOffset;
  for (const traf of childBoxes(moof.bytes).filter((b) => b.type === 'traf')) {
    const parts = childBoxes(traf.bytes);
    const tfhd = parts.find((b) => b.type === 'tfhd');
    if (!tfhd || tfhd.bytes.readUInt32BE(12) !== track.trackId) continue;
    const tf = tfhd.bytes.readUInt32BE(8) & 0xffffff;
    // default-base-is-moof (and the moof's start without a base offset): an absolute file offset means nothing in a stream
    if (tf & 0x1) throw new Fmp4Error('tfhd has an absolute base-data-offset: the stream must be made with -movflags default_base_moof');
    const base = moofStart;
    const h = fields(tfhd.bytes, 16);
    if (tf & 0x2) h.u32(); // sample description index
    const defDuration = tf & 0x8 ? h.u32() : 0;
    const defSize = tf & 0x10 ? h.u32() : 0;
    const defFlags = tf & 0x20 ? h.u32() : 0;
    const tfdt = parts.find((b) => b.type === 'tfdt');
    let dts = tfdt ? (tfdt.bytes[8] === 1 ? Number(tfdt.bytes.readBigUInt64BE(12)) : tfdt.bytes.readUInt32BE(12)) : 0;
    let dataAt = base;
    for (const trun of parts.filter((b) => b.type === 'trun')) {
      const t = trun.bytes;
      const version = t[8]!;
      const rf = t.readUInt32BE(8) & 0xffffff;
      const count = t.readUInt32BE(12);
      const r = fields(t, 16);
      if (rf & 0x1) dataAt = base + r.s32();
      const firstFlags = rf & 0x4 ? r.u32() : undefined;
      for (let i = 0; i < count; i++) {
        const duration = rf & 0x100 ? r.u32() : defDuration;
        const size = rf & 0x200 ? r.u32() : defSize;
        const sampleFlags = rf & 0x400 ? r.u32() : undefined;
        const cto = rf & 0x800 ? (version === 0 ? r.u32() : r.s32()) : 0;
        const flags = sampleFlags ?? (i === 0 && firstFlags !== undefined ? firstFlags : defFlags);
        if (r.at > t.length) throw new Fmp4Error('trun is cut short');
        if (dataAt + size > fragment.length) throw new Fmp4Error('a sample lies past the end of the fragment');
        out.push({ dts, pts: dts + cto, duration, keyframe: (flags & NON_SYNC) === 0, nals: splitNals(fragment.subarray(dataAt, dataAt + size), track.lengthSize) });
        dataAt += size;
        dts += duration;
      }
    }
  }
  return out;
}

/** Reads big-endian fields one after the other; a read past the end is a cut-short box. */
function fields(bytes: Buffer, start: number) {
  let at = start;
  const take = (read: (offset: number) => number) => {
    if (at + 4 > bytes.length) throw new Fmp4Error(`a ${bytes.toString('latin1', 4, 8)} box is cut short`);
    const v = read(at);
    at += 4;
    return v;
  };
  return {
    u32: () => take((o) => bytes.readUInt32BE(o)),
    s32: () => take((o) => bytes.readInt32BE(o)),
    get at() {
      return at;
    },
  };
}

function splitNals(sample: Buffer, lengthSize: number): Buffer[] {
  const nals: Buffer[] = [];
  let at = 0;
  while (at + lengthSize <= sample.length) {
    const n = sample.readUIntBE(at, lengthSize);
    at += lengthSize;
    if (at + n > sample.length) throw new Fmp4Error('a NAL unit runs past the end of its sample');
    nals.push(sample.subarray(at, at + n));
    at += n;
  }
  return nals;
}
