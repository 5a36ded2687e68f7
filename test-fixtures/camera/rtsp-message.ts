// The RTSP/1.0 wire format on one TCP connection: requests and `$`-framed interleaved packets
// read from a byte stream, responses written back. No state beyond the unread bytes.

export interface RtspRequest {
  method: string;
  url: string;
  /** header names in lower case */
  headers: Map<string, string>;
  body: Buffer;
}

export interface InterleavedPacket {
  channel: number;
  payload: Buffer;
}

export type RtspInput = { kind: 'request'; request: RtspRequest } | { kind: 'interleaved'; packet: InterleavedPacket };

export class RtspParseError extends Error {
  readonly code = 'RTSP_PARSE';
}

/** Header block larger than this is a broken or hostile client, not a camera viewer. */
const MAX_HEADER_BYTES = 16 * 1024;
const HEADER_END = Buffer.from('\r\n\r\n');

/** Feeds chunks in, hands back every complete request or interleaved packet. */
export class RtspReader {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): RtspInput[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: RtspInput[] = [];
    for (;;) {
      const next = this.takeOne();
      if (!next) break;
      out.push(next);
    }
    return out;
  }

  private takeOne(): RtspInput | undefined {
    const buf = this.pending;
    if (buf.length === 0) return undefined;
    if (buf[0] === 0x24) {
      if (buf.length < 4) return undefined;
      const length = buf.readUInt16BE(2);
      if (buf.length < 4 + length) return undefined;
      const packet = { channel: buf[1]!, payload: buf.subarray(4, 4 + length) };
      this.pending = buf.subarray(4 + length);
      return { kind: 'interleaved', packet };
    }
    const end = buf.indexOf(HEADER_END);
    if (end < 0) {
      if (buf.length > MAX_HEADER_BYTES) throw new RtspParseError('RTSP header block too large');
      return undefined;
    }
    const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
    const [method, url, version] = (lines[0] ?? '').split(' ');
    if (!method || !url || !version?.startsWith('RTSP/')) {
      throw new RtspParseError(`not an RTSP request line: ${JSON.stringify(lines[0]?.slice(0, 80))}`);
    }
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const bodyLength = Number(headers.get('content-length') ?? 0);
    if (!Number.isInteger(bodyLength) || bodyLength < 0) throw new RtspParseError('bad Content-Length');
    const bodyStart = end + HEADER_END.length;
    if (buf.length < bodyStart + bodyLength) return undefined;
    const body = buf.subarray(bodyStart, bodyStart + bodyLength);
    this.pending = buf.subarray(bodyStart + bodyLength);
    return { kind: 'request', request: { method, url, headers, body } };
  }
}

const REASONS: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  454: 'Session Not Found',
  455: 'Method Not Valid in This State',
  459: 'Aggregate Operation Not Allowed',
  461: 'Unsupported Transport',
  501: 'Not Implemented',
};

/** Serialises a response; `CSeq` is echoed from the request as RFC 2326 requires. */
export function formatResponse(status: number, cseq: string | undefined, headers: Record<string, string>, body?: string): Buffer {
  const lines = [`RTSP/1.0 ${status} ${REASONS[status] ?? 'Error'}`];
  if (cseq !== undefined) lines.push(`CSeq: ${cseq}`);
  lines.push('Server: Wardwatch fake camera');
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  const payload = body === undefined ? '' : body;
  if (body !== undefined) lines.push(`Content-Length: ${Buffer.byteLength(payload)}`);
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${payload}`, 'utf8');
}
