// The city monitoring centre's webhook receiver: verifies, de-duplicates and records forwarded alerts, and fails on demand.
import { appendFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger, type Logger } from '../../shared/log.js';
import { IDEMPOTENCY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from './signature.js';

export const ALERTS_PATH = '/alerts';
const HOST = '127.0.0.1';
// An alert carries a snapshot JPEG inline: allow for a large one, refuse anything absurd.
const MAX_BODY_BYTES = 8 * 1024 * 1024;
const MAX_KEY_LENGTH = 200;

/**
 * '500': answer 500 without looking at the request.
 * 'timeout': read the request and never answer; the connection hangs until the client gives up.
 * 'slow': handle the request normally (it IS recorded) but answer only after `slowMs`,
 *   which is how a client that times out comes to retry an alert the city already has.
 */
export type FaultMode = '500' | 'timeout' | 'slow';

export interface CityReceiverOptions {
  secret: string;
  /** append every accepted alert here as one JSON line */
  file?: string;
  port?: number;
  /** delay of the 'slow' fault (default 3000 ms) */
  slowMs?: number;
  maxSkewSeconds?: number;
  /** the receiver's clock, ms since epoch (tests move it) */
  now?: () => number;
  logger?: Logger;
}

export interface ReceivedAlert {
  /** ISO 8601, the receiver's clock */
  receivedAt: string;
  idempotencyKey: string;
  alert: Record<string, unknown>;
}

export interface CityStats {
  /** every request to POST /alerts */
  seen: number;
  /** new alerts recorded */
  accepted: number;
  /** answered 200 `{accepted:true, duplicate:true}`, not recorded again */
  duplicates: number;
  /** answered 4xx: bad signature, stale timestamp, no idempotency key, bad JSON, too large */
  rejected: number;
  /** met an injected fault ('500' or 'timeout'; a 'slow' request counts as what it turned out to be) */
  failed: number;
}

export interface CityReceiver {
  /** the webhook URL: `http://127.0.0.1:<port>/alerts` */
  url: string;
  port: number;
  alerts(): ReceivedAlert[];
  /** the next `n` requests meet `mode`; calls queue up behind each other */
  failNext(n: number, mode: FaultMode): void;
  stats(): CityStats;
  stop(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        resolve(undefined);
        req.resume(); // drain, so that the 413 can still be written
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function parseAlert(raw: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(raw.toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export async function startCityReceiver(options: CityReceiverOptions): Promise<CityReceiver> {
  const log = options.logger ?? silentLogger();
  const now = options.now ?? Date.now;
  const slowMs = options.slowMs ?? 3000;
  const faults: FaultMode[] = [];
  const received: ReceivedAlert[] = [];
  const keys = new Set<string>();
  const stats: CityStats = { seen: 0, accepted: 0, duplicates: 0, rejected: 0, failed: 0 };
  const timers = new Set<NodeJS.Timeout>();

  /** Decides the answer to one alert request; records it when it is new. */
  async function receive(req: IncomingMessage, raw: Buffer | undefined): Promise<{ status: number; body: object }> {
    const reject = (status: number, error: string) => {
      stats.rejected += 1;
      log.info({ status, error }, 'alert rejected');
      return { status, body: { error } };
    };
    if (raw === undefined) return reject(413, 'too-large');
    const verdict = verifySignature(
      options.secret,
      header(req, TIMESTAMP_HEADER),
      header(req, SIGNATURE_HEADER),
      raw,
      Math.floor(now() / 1000),
      options.maxSkewSeconds,
    );
    if (!verdict.ok) return reject(401, verdict.reason);
    const key = header(req, IDEMPOTENCY_HEADER)?.trim();
    if (!key) return reject(400, 'missing-idempotency-key');
    if (key.length > MAX_KEY_LENGTH) return reject(400, 'idempotency-key-too-long');
    const alert = parseAlert(raw);
    if (!alert) return reject(400, 'bad-json');

    if (keys.has(key)) {
      stats.duplicates += 1;
      return { status: 200, body: { accepted: true, duplicate: true } };
    }
    // Claimed before the await, so that two concurrent deliveries of one key record it once.
    keys.add(key);
    const record: ReceivedAlert = { receivedAt: new Date(now()).toISOString(), idempotencyKey: key, alert };
    if (options.file) {
      try {
        await appendFile(options.file, `${JSON.stringify(record)}\n`);
      } catch (err) {
        keys.delete(key); // not recorded, so the sender must be free to retry
        log.error({ err }, 'could not append the alert');
        return { status: 500, body: { error: 'storage' } };
      }
    }
    received.push(record);
    stats.accepted += 1;
    log.info({ idempotencyKey: key }, 'alert accepted');
    return { status: 200, body: { accepted: true } };
  }

  function send(res: ServerResponse, status: number, body: object): void {
    if (res.destroyed) return; // the client gave up waiting
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://city').pathname;
    if (path !== ALERTS_PATH) return send(res, 404, { error: 'not-found' });
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      return send(res, 405, { error: 'method-not-allowed' });
    }
    stats.seen += 1;
    const fault = faults.shift();
    const raw = await readBody(req);
    if (fault === '500' || fault === 'timeout') {
      stats.failed += 1;
      log.info({ fault }, 'injected fault');
      if (fault === '500') send(res, 500, { error: 'injected-failure' });
      return; // 'timeout': never answer; stop() closes the connection if the client has not
    }
    const answer = await receive(req, raw);
    if (fault !== 'slow') return send(res, answer.status, answer.body);
    const timer = setTimeout(() => {
      timers.delete(timer);
      send(res, answer.status, answer.body);
    }, slowMs);
    timers.add(timer);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error({ err }, 'receiver failed');
      send(res, 500, { error: 'internal' });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, HOST, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://${HOST}:${port}${ALERTS_PATH}`,
    port,
    alerts: () => [...received],
    failNext(n, mode) {
      for (let i = 0; i < n; i += 1) faults.push(mode);
    },
    stats: () => ({ ...stats }),
    async stop() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
