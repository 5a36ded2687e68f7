// The review server alone over a real edge db, with cameras that are never read (no recorder, no detector): for
// route and page tests that need no footage. And a logged-in API caller over plain fetch.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openEdgeDb } from '../../edge/db.js';
import { RecordStore } from '../../edge/record/store.js';
import type { ReviewCamera } from '../../edge/review/context.js';
import { loadOrCreateExportKey } from '../../edge/review/export-keys.js';
import { createReviewServer, type ReviewServer, type ReviewServerOptions } from '../../edge/review/server.js';
import { createLocalAudit } from '../../shared/audit/index.js';
import type { Db } from '../../shared/db.js';
import { locateFfmpeg } from '../../shared/ffmpeg/locate.js';
import { silentLogger } from '../../shared/log.js';

export interface ReviewBox {
  server: ReviewServer;
  db: Db;
  url: string;
  close(): Promise<void>;
}

export async function startReviewBox({ ward, cameras, timeZone, clock, clocks, tls, trustProxy, detection }: { ward: { id: string; name: string }; cameras: ReviewCamera[]; timeZone?: string; clock?: () => number; clocks?: ReviewServerOptions['clocks'] } & Pick<ReviewServerOptions, 'tls' | 'trustProxy' | 'detection'>): Promise<ReviewBox> {
  const root = mkdtempSync(path.join(tmpdir(), 'ww-review-box-'));
  const db = openEdgeDb(path.join(root, 'edge.db'));
  const server = await createReviewServer({
    ward,
    cameras,
    root,
    db,
    store: new RecordStore(db),
    audit: createLocalAudit(db, clock && { clock }),
    signer: loadOrCreateExportKey(path.join(root, 'keys')),
    tools: await locateFfmpeg(),
    logger: silentLogger(),
    ...(clock && { clock }),
    ...(timeZone && { timeZone }),
    ...(clocks && { clocks }),
    tls,
    trustProxy,
    detection,
  });
  const url = await server.listen('127.0.0.1', 0);
  return {
    server,
    db,
    url,
    async close() {
      await server.close();
      db.close();
    },
  };
}

export type ApiCaller = (method: string, url: string, body?: unknown) => Promise<{ status: number; json: Record<string, unknown> }>;

/** A user's session over plain fetch: logs in, changes the initial password to `next`, returns a caller. */
export async function sessionOf(base: string, name: string, password: string, next: string): Promise<ApiCaller> {
  let cookie = '';
  let csrf = '';
  const call: ApiCaller = async (method, url, body) => {
    const res = await fetch(base + url, { method, headers: { ...(cookie && { cookie }), ...(csrf && { 'x-csrf-token': csrf }), ...(body !== undefined && { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
    const set = res.headers.getSetCookie()[0];
    if (set) cookie = set.split(';')[0]!;
    const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (typeof json.csrfToken === 'string') csrf = json.csrfToken;
    return { status: res.status, json };
  };
  await call('POST', '/api/login', { name, password });
  await call('POST', '/api/password', { current: password, next });
  return call;
}
