// An HTTP client that picks its source address (any 127.x.y.z on Linux loopback), so a test can log in "from another
// machine" without the server trusting X-Forwarded-For; with a cookie jar and the CSRF header, as the pages keep them.
import http from 'node:http';

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  json: Record<string, unknown>;
  /** wall time of the whole exchange */
  ms: number;
}

export class ClientFrom {
  cookie = '';
  csrf = '';
  private readonly agent: http.Agent;

  constructor(
    readonly base: string,
    /** the local address to connect from, e.g. 127.0.0.2 */
    readonly from: string,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  }

  call(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const started = performance.now();
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const all: Record<string, string> = { ...headers };
    if (data) all['content-type'] = 'application/json';
    if (this.cookie) all.cookie = this.cookie;
    if (this.csrf && method !== 'GET') all['x-csrf-token'] = this.csrf;
    return new Promise((resolve, reject) => {
      const req = http.request(new URL(url, this.base), { method, headers: all, agent: this.agent, localAddress: this.from }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          for (const c of res.headers['set-cookie'] ?? []) this.cookie = /Max-Age=0/.test(c) ? '' : c.split(';')[0]!;
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Record<string, unknown> = {};
          if ((res.headers['content-type'] ?? '').startsWith('application/json') && text) json = JSON.parse(text) as Record<string, unknown>;
          if (typeof json.csrfToken === 'string') this.csrf = json.csrfToken;
          resolve({ status: res.statusCode ?? 0, headers: res.headers, json, ms: performance.now() - started });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(data);
    });
  }

  login(name: string, password: string): Promise<Answer> {
    return this.call('POST', '/api/login', { name, password });
  }

  close(): void {
    this.agent.destroy();
  }
}
