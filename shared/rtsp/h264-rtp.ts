// H.264 over RTP (RFC 6184): where a packet flow's keyframes start (a new reader is only sent packets from the
// start of a keyframe, as real cameras do, so its first frame decodes and a recorder's first segment is whole),
// and access units cut into packets (the hub serving the city's video system).

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

/** RTP payload bytes per packet: an Ethernet MTU less IP, TCP, the `$` frame and the RTP header, with room to spare. */
export const MAX_RTP_PAYLOAD = 1400;

/**
 * H.264 access units (NAL units without start codes or length prefixes) → RTP packets (RFC 6184,
 * packetization-mode 1): a NAL unit that fits goes whole, a larger one in FU-A fragments; the marker bit is set
 * on the last packet of the access unit. One sequence and SSRC per packetizer, i.e. per stream.
 */
export class H264Packetizer {
  private seq: number;
  private readonly payloadType: number;
  private readonly ssrc: number;
  private readonly maxPayload: number;

  constructor(o: { payloadType: number; ssrc: number; firstSeq?: number; maxPayload?: number }) {
    this.payloadType = o.payloadType & 0x7f;
    this.ssrc = o.ssrc >>> 0;
    this.maxPayload = o.maxPayload ?? MAX_RTP_PAYLOAD;
    this.seq = (o.firstSeq ?? 0) & 0xffff;
  }

  packetize(nals: readonly Buffer[], timestamp: number): Buffer[] {
    const max = this.maxPayload;
    const out: Buffer[] = [];
    const payloads: Buffer[][] = [];
    for (const nal of nals) {
      if (nal.length === 0) continue;
      if (nal.length <= max) {
        payloads.push([nal]);
        continue;
      }
      const indicator = (nal[0]! & 0xe0) | FU_A;
      const type = nal[0]! & 0x1f;
      const body = nal.subarray(1);
      const chunk = max - 2;
      for (let at = 0; at < body.length; at += chunk) {
        const start = at === 0 ? 0x80 : 0;
        const end = at + chunk >= body.length ? 0x40 : 0;
        payloads.push([Buffer.from([indicator, start | end | type]), body.subarray(at, at + chunk)]);
      }
    }
    payloads.forEach((parts, i) => {
      const header = Buffer.allocUnsafe(12);
      header[0] = 0x80;
      header[1] = (i === payloads.length - 1 ? 0x80 : 0) | this.payloadType;
      header.writeUInt16BE(this.seq, 2);
      header.writeUInt32BE(timestamp >>> 0, 4);
      header.writeUInt32BE(this.ssrc, 8);
      this.seq = (this.seq + 1) & 0xffff;
      out.push(Buffer.concat([header, ...parts]));
    });
    return out;
  }
}
