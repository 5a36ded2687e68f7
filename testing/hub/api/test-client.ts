// Test helpers: a hub on 127.0.0.1:0 (real broker, store, forwarder and HTTP API) and a browser-like HTTP client.
import path from 'node:path';
import { hubConfigSchema } from '../../../shared/config/hub.js';
import type { HubConfig } from '../../../shared/config/load.js';
import { silentLogger } from '../../../shared/log.js';
import { startHub, type RunningHub } from '../../../hub/main.js';
import { tempDir } from '../test-support.js';

/** A cookie jar and the CSRF header, as the page keeps them. */
export class Client {
  cookie = '';
  csrf = '';
  constructor(readonly base: string) {}

  async call(method: string, url: string, body?: unknown, options: { csrf?: boolean; headers?: Record<string, string> } = {}) {
    const headers: Record<string, string> = { ...options.headers };
    if (this.cookie) headers.cookie = this.cookie;
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (options.csrf !== false && this.csrf) headers['x-csrf-token'] = this.csrf;
    const res = await fetch(this.base + url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    for (const c of res.headers.getSetCookie()) this.cookie = /Max-Age=0/.test(c) ? '' : c.split(';')[0]!;
    const buffer = Buffer.from(await res.arrayBuffer());
    let json: Record<string, unknown> = {};
    if ((res.headers.get('content-type') ?? '').startsWith('application/json') && buffer.length) json = JSON.parse(buffer.toString('utf8')) as Record<string, unknown>;
    if (typeof json.csrfToken === 'string') this.csrf = json.csrfToken;
    return { status: res.status, json, buffer, headers: res.headers };
  }

  get(url: string, headers?: Record<string, string>) {
    return this.call('GET', url, undefined, headers ? { headers } : {});
  }

  /** Logs in; changes the initial password first when asked to. */
  async login(name: string, password: string, next?: string) {
    const r = await this.call('POST', '/api/login', { name, password });
    if (r.json.status === 'must-change' && next) return this.call('POST', '/api/password', { current: password, next });
    return r;
  }
}

export interface ApiHubOptions {
  clock?: () => number;
  targets?: unknown[];
  secrets?: Record<string, string>;
  linkTtlHours?: number;
  wards?: string[];
}

/** The real hub (startHub) with its MQTT and HTTP listeners on 127.0.0.1:0. */
export async function startApiHub(options: ApiHubOptions = {}): Promise<{ hub: RunningHub; base: string; root: string }> {
  const dir = tempDir('ww-api-');
  const root = path.join(dir, 'data');
  const config: HubConfig = {
    ...hubConfigSchema.parse({
      district: { name: 'Phú Nhuận' },
      storage: { root },
      broker: { listeners: [{ type: 'tcp', host: '127.0.0.1', port: 0 }] },
      wards: (options.wards ?? ['p07', 'p08', 'p09']).map((id) => ({ id, name: `Phường ${id.slice(1)}` })),
      http: { host: '127.0.0.1', port: 0, publicUrl: 'http://127.0.0.1:1' },
      forward: { targets: options.targets ?? [], rules: [], linkTtlHours: options.linkTtlHours ?? 72 },
    }),
    file: path.join(dir, 'hub.yaml'),
    secrets: new Map(Object.entries(options.secrets ?? {})),
  };
  const hub = await startHub(config, { logger: silentLogger(), ...(options.clock ? { clock: options.clock } : {}) });
  if (!hub.http) throw new Error('the hub did not start its HTTP server');
  return { hub, base: `http://127.0.0.1:${hub.http.port}`, root };
}

export const CLI = { actor: 'cli:test', ip: null };
