// One RTSP DESCRIBE with a camera's login (Basic or Digest, as the camera asks): does the camera answer, take the
// password and know the path? What the box's recorder will do first, without ffmpeg and in a few milliseconds.
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';

export type DescribeOutcome = 'ok' | 'wrong-login' | 'not-found' | 'refused' | 'unreachable' | 'timeout' | 'error';

export interface DescribeResult {
  outcome: DescribeOutcome;
  /** the RTSP status of the last answer, when there was one */
  status?: number;
  detail: string;
}

interface Answer {
  status: number;
  reason: string;
  headers: Map<string, string>;
}

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

/** `Digest realm="x", nonce="y", qop="auth"` → its fields (lower-case keys). Pure. */
export function parseChallenge(header: string): { scheme: string; fields: Map<string, string> } {
  const scheme = /^\s*(\S+)/.exec(header)?.[1]?.toLowerCase() ?? '';
  const fields = new Map<string, string>();
  for (const m of header.matchAll(/([a-zA-Z-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g)) fields.set(m[1]!.toLowerCase(), m[2] ?? m[3] ?? '');
  return { scheme, fields };
}

/** The Authorization header answering `challenge` for one request (RFC 2617, MD5; `qop=auth` when offered). Pure. */
export function authorization(challenge: string, method: string, uri: string, username: string, password: string, cnonce = randomBytes(8).toString('hex')): string {
  const { scheme, fields } = parseChallenge(challenge);
  if (scheme === 'basic') return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  const realm = fields.get('realm') ?? '';
  const nonce = fields.get('nonce') ?? '';
  const ha1 = md5(`${username}:${realm}:${password}`);
  const ha2 = md5(`${method}:${uri}`);
  const qop = fields.get('qop')?.split(',').map((q) => q.trim()).includes('auth') ? 'auth' : undefined;
  const nc = '00000001';
  const response = qop ? md5(`${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`) : md5(`${ha1}:${nonce}:${ha2}`);
  const opaque = fields.get('opaque');
  return (
    `Digest username="${username}", realm="${realm}", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=MD5` +
    (qop ? `, qop=${qop}, nc=${nc}, cnonce="${cnonce}"` : '') +
    (opaque !== undefined ? `, opaque="${opaque}"` : '')
  );
}

/** Reads RTSP answers off one socket, one at a time (headers, then a body of Content-Length bytes, skipped). */
class AnswerReader {
  private buffer = Buffer.alloc(0);
  private waiting: ((a: Answer) => void) | undefined;

  constructor(socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, d]);
      this.drain();
    });
  }

  next(): Promise<Answer> {
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.drain();
    });
  }

  private drain(): void {
    if (!this.waiting) return;
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end === -1) return;
    const lines = this.buffer.subarray(0, end).toString('latin1').split('\r\n');
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const length = Number(headers.get('content-length') ?? 0);
    if (this.buffer.length < end + 4 + length) return;
    this.buffer = this.buffer.subarray(end + 4 + length);
    const m = /^RTSP\/\d\.\d\s+(\d{3})\s*(.*)$/.exec(lines[0] ?? '');
    const resolve = this.waiting;
    this.waiting = undefined;
    resolve({ status: m ? Number(m[1]) : 0, reason: m?.[2] ?? (lines[0] ?? ''), headers });
  }
}

/** DESCRIBE `url` (an rtsp:// URL, credentials in it or not). Never throws; never puts the password in `detail`. */
export async function describeStream(url: string, timeoutMs = 5000): Promise<DescribeResult> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { outcome: 'error', detail: 'not a URL' };
  }
  const username = decodeURIComponent(u.username);
  const password = decodeURIComponent(u.password);
  u.username = '';
  u.password = '';
  const uri = u.toString();
  const socket = net.connect({ host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 554) });
  socket.setNoDelay(true);
  const timer = setTimeout(() => socket.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })), timeoutMs);
  const failed = new Promise<DescribeResult>((resolve) => {
    socket.once('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? '';
      if (code === 'ECONNREFUSED') resolve({ outcome: 'refused', detail: `nothing accepts RTSP at ${u.host} (connection refused)` });
      else if (code === 'ETIMEDOUT') resolve({ outcome: 'timeout', detail: `no answer from ${u.host} within ${timeoutMs / 1000} s` });
      else if (['EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN'].includes(code)) resolve({ outcome: 'unreachable', detail: `${u.hostname} cannot be reached (${code})` });
      else resolve({ outcome: 'error', detail: err.message });
    });
    socket.once('close', () => resolve({ outcome: 'error', detail: `${u.host} closed the connection without an answer` }));
  });
  const talk = async (): Promise<DescribeResult> => {
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const reader = new AnswerReader(socket);
    let cseq = 0;
    const request = (auth?: string) => {
      socket.write(`DESCRIBE ${uri} RTSP/1.0\r\nCSeq: ${++cseq}\r\nAccept: application/sdp\r\nUser-Agent: wardwatch-check\r\n${auth ? `Authorization: ${auth}\r\n` : ''}\r\n`);
      return reader.next();
    };
    let answer = await request();
    if (answer.status === 401 && username) {
      const challenge = answer.headers.get('www-authenticate') ?? '';
      answer = await request(authorization(challenge, 'DESCRIBE', uri, username, password));
    }
    if (answer.status === 200) return { outcome: 'ok', status: 200, detail: 'DESCRIBE 200' };
    if (answer.status === 401 || answer.status === 403) return { outcome: 'wrong-login', status: answer.status, detail: username ? 'wrong user or password' : 'the camera wants a login and none is configured' };
    if (answer.status === 404) return { outcome: 'not-found', status: 404, detail: `the camera has no stream at ${u.pathname}` };
    return { outcome: 'error', status: answer.status, detail: `the camera answered ${answer.status} ${answer.reason}` };
  };
  try {
    return await Promise.race([talk(), failed]);
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
}
