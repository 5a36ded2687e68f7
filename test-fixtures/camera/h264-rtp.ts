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
 * Marks keyframe starts in a packet flow: the first packet of an access unit that holds an SPS or an IDR. Our
 * scenes carry SPS/PPS in-band before every IDR (x264 repeat-headers), so the SPS opens it; in an MP4 served as
 * is, SPS/PPS are only in the SDP and an SEI or AUD may come before the IDR in its access unit.
 */
export class KeyframeSpotter {
  private lastTimestamp = -1;
  /** packets of the current access unit before this one */
  private before = 0;
  private unitIsKey = false;

  /**
   * Where a keyframe starts if this packet shows one: 0 at this packet, n > 0 at the packet n back (the first
   * of this access unit); undefined if it shows none (or its access unit was already marked).
   */
  keyframeStart(rtp: Buffer): number | undefined {
    const ts = rtpTimestamp(rtp);
    if (ts !== this.lastTimestamp) {
      this.lastTimestamp = ts;
      this.before = 0;
      this.unitIsKey = false;
    } else {
      this.before += 1;
    }
    const type = firstNalType(rtp);
    if (this.unitIsKey || (type !== NAL_SPS && type !== NAL_IDR)) return undefined;
    this.unitIsKey = true;
    return this.before;
  }
}
