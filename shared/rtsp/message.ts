// The RTSP/1.0 wire format on one TCP connection: requests and `$`-framed interleaved packets read from a byte
// stream, responses written back. No state beyond the unread bytes. Bounded: a server facing hostile networks
// must not buffer without end, so the request line, the header block, the number of headers and a body are capped.

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

export interface RtspLimits {
  /** the whole header block (request line included) */
  maxHeaderBytes: number;
  maxRequestLineBytes: number;
  maxHeaders: number;
  /** a request body (RTSP clients send none but SET_PARAMETER's) */
  maxBodyBytes: number;
}

/** Larger than any camera viewer or VMS sends; anything past it is a broken or hostile client. */
export const RTSP_LIMITS: RtspLimits = { maxHeaderBytes: 16 * 1024, maxRequestLineBytes: 4096, maxHeaders: 64, maxBodyBytes: 64 * 1024 };

const HEADER_END = Buffer.from('\r\n\r\n');

/** Feeds chunks in, hands back every complete request or interleaved packet. */
export class RtspReader {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly limits: RtspLimits = RTSP_LIMITS) {}

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
    const { limits } = this;
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
    const lineEnd = buf.indexOf('\r\n');
    if ((lineEnd < 0 ? buf.length : lineEnd) > limits.maxRequestLineBytes) throw new RtspParseError(`RTSP request line longer than ${limits.maxRequestLineBytes} bytes`);
    if (end < 0) {
      if (buf.length > limits.maxHeaderBytes) throw new RtspParseError(`RTSP header block larger than ${limits.maxHeaderBytes} bytes`);
      return undefined;
    }
    if (end > limits.maxHeaderBytes) throw new RtspParseError(`RTSP header block larger than ${limits.maxHeaderBytes} bytes`);
    const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
    if (lines.length - 1 > limits.maxHeaders) throw new RtspParseError(`more than ${limits.maxHeaders} RTSP headers`);
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
    if (bodyLength > limits.maxBodyBytes) throw new RtspParseError(`RTSP body larger than ${limits.maxBodyBytes} bytes`);
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
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  429: 'Too Many Requests',
  453: 'Not Enough Bandwidth',
  454: 'Session Not Found',
  455: 'Method Not Valid in This State',
  459: 'Aggregate Operation Not Allowed',
  461: 'Unsupported Transport',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  504: 'Gateway Time-out',
};

/** Serialises a response; `CSeq` is echoed from the request as RFC 2326 requires. */
export function formatResponse(status: number, cseq: string | undefined, headers: Record<string, string>, body?: string, server = 'Wardwatch'): Buffer {
  const lines = [`RTSP/1.0 ${status} ${REASONS[status] ?? 'Error'}`];
  if (cseq !== undefined) lines.push(`CSeq: ${cseq}`);
  lines.push(`Server: ${server}`);
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  const payload = body === undefined ? '' : body;
  if (body !== undefined) lines.push(`Content-Length: ${Buffer.byteLength(payload)}`);
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${payload}`, 'utf8');
}
