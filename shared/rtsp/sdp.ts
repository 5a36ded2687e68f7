// SDP: reads the media description ffmpeg's RTP muxer prints for a feeder, makes one from an H.264 stream's
// SPS and PPS (the hub, from a relay's init segment), and writes the session description a server answers
// DESCRIBE with (one H.264 track per stream URL).

export interface VideoMedia {
  payloadType: number;
  /** e.g. `H264/90000` */
  rtpmap: string;
  /** e.g. `packetization-mode=1; sprop-parameter-sets=Z01A…,aO88gA==; profile-level-id=4D401F` */
  fmtp: string;
  /** kbit/s from `b=AS:`, when present */
  bandwidthKbps?: number | undefined;
}

/** Pulls the first video media section out of an SDP text (as printed by `ffmpeg -f rtp`). */
export function parseVideoMedia(sdp: string): VideoMedia {
  const lines = sdp.split(/\r?\n/).map((l) => l.trim());
  const m = lines.findIndex((l) => l.startsWith('m=video '));
  if (m < 0) throw new Error(`no m=video line in SDP:\n${sdp}`);
  const payloadType = Number(lines[m]!.split(' ')[3]);
  const section = lines.slice(m + 1);
  const attr = (prefix: string): string | undefined =>
    section.find((l) => l.startsWith(prefix))?.slice(prefix.length);
  const rtpmap = attr(`a=rtpmap:${payloadType} `);
  const fmtp = attr(`a=fmtp:${payloadType} `);
  if (!rtpmap || !fmtp) throw new Error(`SDP lacks rtpmap/fmtp for payload ${payloadType}:\n${sdp}`);
  if (!/sprop-parameter-sets=/.test(fmtp)) throw new Error(`SDP fmtp has no sprop-parameter-sets: ${fmtp}`);
  const bw = attr('b=AS:');
  return { payloadType, rtpmap, fmtp, bandwidthKbps: bw ? Number(bw) : undefined };
}

/** The media of an H.264 stream sent with H264Packetizer (packetization-mode 1), from its parameter sets. */
export function h264Media(sps: Buffer, pps: readonly Buffer[], payloadType = 96): VideoMedia {
  if (sps.length < 4) throw new Error(`an H.264 SPS of ${sps.length} bytes is too short`);
  const profileLevelId = sps.subarray(1, 4).toString('hex').toUpperCase();
  const sets = [sps, ...pps].map((b) => b.toString('base64')).join(',');
  return { payloadType, rtpmap: 'H264/90000', fmtp: `packetization-mode=1; sprop-parameter-sets=${sets}; profile-level-id=${profileLevelId}` };
}

/** The DESCRIBE answer for one stream: a single video track whose control URL is `trackID=0`. */
export function describeStream(media: VideoMedia, options: { sessionId: string; fps?: number | undefined; name: string }): string {
  const lines = [
    'v=0',
    `o=- ${options.sessionId} 1 IN IP4 127.0.0.1`,
    `s=${options.name}`,
    'c=IN IP4 0.0.0.0',
    't=0 0',
    'a=control:*',
    `m=video 0 RTP/AVP ${media.payloadType}`,
    ...(media.bandwidthKbps ? [`b=AS:${media.bandwidthKbps}`] : []),
    `a=rtpmap:${media.payloadType} ${media.rtpmap}`,
    `a=fmtp:${media.payloadType} ${media.fmtp}`,
    ...(options.fps ? [`a=framerate:${options.fps}`] : []),
    'a=recvonly',
    'a=control:trackID=0',
  ];
  return `${lines.join('\r\n')}\r\n`;
}
