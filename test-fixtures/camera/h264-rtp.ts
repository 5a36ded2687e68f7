// What an H.264 RTP packet (RFC 6184) starts: a new client is only sent packets from the start of
// a keyframe, as real cameras do, so its first frame decodes and a recorder's first segment is whole.

const NAL_IDR = 5;
const NAL_SPS = 7;
const STAP_A = 24;
const FU_A = 28;

/** The type of the first NAL unit in the packet (inside STAP-A / the start of an FU-A), or -1. */
export function firstNalType(rtp: Buffer): number {
  if (rtp.length < 13) return -1;
  const csrcCount = rtp[0]! & 0x0f;
  const extension = (rtp[0]! & 0x10) !== 0;
  let offset = 12 + 4 * csrcCount;
  if (extension) {
    if (rtp.length < offset + 4) return -1;
    offset += 4 + 4 * rtp.readUInt16BE(offset + 2);
  }
  if (rtp.length <= offset) return -1;
  const type = rtp[offset]! & 0x1f;
  if (type === STAP_A) return rtp.length > offset + 3 ? rtp[offset + 3]! & 0x1f : -1;
  if (type === FU_A) {
    const header = rtp[offset + 1];
    if (header === undefined || (header & 0x80) === 0) return -1; // not the first fragment
    return header & 0x1f;
  }
  return type;
}

export function rtpTimestamp(rtp: Buffer): number {
  return rtp.readUInt32BE(4);
}

/**
 * Marks keyframe starts in a packet flow. Our scenes carry SPS/PPS in-band before every IDR
 * (x264 repeat-headers), so an SPS is the normal start; an IDR that opens its access unit also counts.
 */
export class KeyframeSpotter {
  private lastTimestamp = -1;

  isKeyframeStart(rtp: Buffer): boolean {
    const ts = rtpTimestamp(rtp);
    const opensAccessUnit = ts !== this.lastTimestamp;
    this.lastTimestamp = ts;
    const type = firstNalType(rtp);
    return type === NAL_SPS || (type === NAL_IDR && opensAccessUnit);
  }
}
