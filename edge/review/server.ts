// The officers' review server on the ward box: login, live view, timeline and playback, alerts, the street (lines,
// zones, rules, counts), holds and exports, and the page itself. Everything it needs is handed in; start() listens, close() stops readers and the server.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import { can, createAccounts, LoginThrottle, type Accounts } from '../../shared/accounts/index.js';
import type { LocalAudit } from '../../shared/audit/index.js';
import type { Db } from '../../shared/db.js';
import type { FfmpegTools } from '../../shared/ffmpeg/locate.js';
import { errorAnswers, MSE_APPENDER, RouteTable, securityHeaders, servePageFiles, sessionPlugin, ZONE_TIME, type PageTls } from '../../shared/http/index.js';
import type { Logger } from '../../shared/log.js';
import { packageRoot } from '../../shared/package.js';
import { clockSkewed } from '../../shared/contract/index.js';
import type { ClockWatch } from '../clock/watch.js';
import type { RecordStore } from '../record/store.js';
import type { ReviewCamera, ReviewContext } from './context.js';
import { CountsQuery } from './counts-query.js';
import { EventsQuery } from './events-query.js';
import type { ExportSigner } from './export-keys.js';
import { ExportService } from './exports.js';
import { Holds } from './holds.js';
import { LiveStreams, type LiveStreamsOptions } from './live-streams.js';
import { evidenceRoutes } from './routes-evidence.js';
import { liveRoutes } from './routes-live.js';
import { recordingRoutes } from './routes-recordings.js';
import { streetRoutes } from './routes-street.js';

export interface ReviewServerOptions {
  ward: { id: string; name: string };
  cameras: readonly ReviewCamera[];
  /** the box's storage root: exports go to `<root>/exports`, scratch files to `<root>/tmp` */
  root: string;
  db: Db;
  store: RecordStore;
  audit: LocalAudit;
  /** default: accounts over `audit.sql` (the async handle on `db`) with `audit`, officers limited to this ward, logins throttled (its own LoginThrottle) */
  accounts?: Accounts;
  signer: ExportSigner;
  tools: FfmpegTools;
  logger: Logger;
  clock?: () => number;
  /** IANA time zone of the page's times, "today" on the street tab and an export's local times: edge.yaml's timeZone (default Asia/Ho_Chi_Minh, as there) */
  timeZone?: string;
  /** the box's NTP state and its cameras' clock skew (edge/clock/); without it both are unknown */
  clocks?: Pick<ClockWatch, 'ntp' | 'skewMs'>;
  live?: Omit<LiveStreamsOptions, 'tools' | 'logger'>;
  /** serve HTTPS with this certificate (edge.yaml review.tls, read by readPageTls) */
  tls?: PageTls | undefined;
  /** behind a TLS proxy that sets X-Forwarded-For / -Proto (edge.yaml review.trustProxy) */
  trustProxy?: boolean | undefined;
  /** each camera's detection figures for the street tab (edge/detect/) */
  detection?: ReviewContext['detection'];
}

export interface ReviewServer {
  app: FastifyInstance;
  live: LiveStreams;
  exports: ExportService;
  holds: Holds;
  accounts: Accounts;
  /** listens; returns the base URL */
  listen(host: string, port: number): Promise<string>;
  close(): Promise<void>;
}

const PAGE_FILES: Record<string, string> = {
  '/': 'index.html',
  '/app.js': 'app.js',
  '/i18n.js': 'i18n.js',
  '/style.css': 'style.css',
};

export async function createReviewServer(o: ReviewServerOptions): Promise<ReviewServer> {
  const clock = o.clock ?? Date.now;
  const timeZone = o.timeZone ?? 'Asia/Ho_Chi_Minh';
  const tmpDir = path.join(o.root, 'tmp');
  mkdirSync(tmpDir, { recursive: true });
  const throttle = o.accounts ? undefined : new LoginThrottle({ clock, logger: o.logger.child({ part: 'logins' }), audit: o.audit });
  const accounts = o.accounts ?? createAccounts(o.audit.sql, { audit: o.audit, clock, throttle, wards: [o.ward.id] });
  const live = new LiveStreams({ tools: o.tools, logger: o.logger, ...o.live });
  const names = new Map(o.cameras.map((c) => [c.id, c.name]));
  const exports = new ExportService({
    db: o.db,
    audit: o.audit,
    store: o.store,
    signer: o.signer,
    ffmpegPath: o.tools.ffmpeg.path,
    dir: path.join(o.root, 'exports'),
    ward: o.ward,
    cameraName: (id) => names.get(id) ?? id,
    timeZone,
    logger: o.logger,
    clock,
  });
  const holds = new Holds(o.db, o.store, o.audit, clock);
  const ctx: ReviewContext = {
    ward: o.ward,
    cameras: o.cameras,
    db: o.db,
    store: o.store,
    audit: o.audit,
    live,
    exports,
    holds,
    events: new EventsQuery(o.db),
    counts: new CountsQuery(o.db),
    timeZone,
    tools: o.tools,
    logger: o.logger,
    clock,
    tmpDir,
    detection: o.detection,
  };

  // https null: plain HTTP; the routes see the same requests either way, only the server type differs
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024, trustProxy: o.trustProxy ?? false, https: o.tls ?? null }) as unknown as FastifyInstance;
  errorAnswers(app, { logger: o.logger, logWhere: 'the box log' });
  securityHeaders(app);
  await app.register(sessionPlugin, { accounts, clock });
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });

  // the page: a few static files, read once
  const pageDir = path.join(packageRoot(), 'edge', 'review', 'page');
  servePageFiles(app, [...Object.entries(PAGE_FILES).map(([url, file]) => ({ url, file: path.join(pageDir, file) })), MSE_APPENDER, ZONE_TIME], {
    'cache-control': 'no-cache',
    'content-security-policy': "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
  });

  // every route of the table is about this box's ward: an officer of another ward is refused
  const routes = new RouteTable(app, { wardOf: () => o.ward.id });
  // what the page shows this user: the ward, its cameras (no URLs), which tabs apply, the time zone of its times and
  // the clocks (the page asks again every minute)
  routes.add(
    {
      method: 'GET',
      url: '/api/box',
      summary: 'The ward, its cameras (no URLs) with their clock skew, what this user may do, the time zone and the clocks',
      tag: 'box',
      auth: 'session',
      responses: { 200: '{ ward, cameras, may, now, timeZone, clock }', 401: 'not logged in' },
    },
    async (request) => {
      const user = request.session!.user;
      const may = (p: Parameters<typeof can>[1]) => can(user, p, o.ward.id);
      const skew = (camera: string) => o.clocks?.skewMs(camera) ?? null;
      return {
        ward: o.ward,
        cameras: o.cameras.map((c) => ({ id: c.id, name: c.name, clockSkewMs: skew(c.id), clockSkewed: clockSkewed(skew(c.id)) })),
        may: { live: may('live'), playback: may('playback'), events: may('events'), export: may('export'), holdPlace: may('hold.place'), holdManage: may('hold.manage') },
        now: clock(),
        timeZone,
        clock: { ntp: o.clocks?.ntp() ?? 'unknown' },
      };
    },
  );

  liveRoutes(app, ctx);
  recordingRoutes(routes, ctx);
  evidenceRoutes(routes, ctx);
  streetRoutes(routes, ctx);

  return {
    app,
    live,
    exports,
    holds,
    accounts,
    async listen(host, port) {
      return app.listen({ host, port });
    },
    async close() {
      live.stop();
      await app.close();
      await throttle?.close(); // its last bursts go into the audit while the db is open
    },
  };
}
