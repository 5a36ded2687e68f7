// The hub's HTTP server: sessions, the /api routes, /share links, /metrics, the OpenAPI document and the page.
import { requestWard } from './officer-scope.js';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { errorAnswers, RouteTable, securityHeaders, sessionPlugin, type PageTls, type RouteDoc } from '../../shared/http/index.js';
import { packageVersion } from '../../shared/package.js';
import { cityRoutes } from './city-routes.js';
import type { ApiContext } from './context.js';
import { forwardRoutes } from './forward-routes.js';
import { healthRoutes } from './health-routes.js';
import { incidentRoutes } from './incident-routes.js';
import { liveRoutes } from './live-routes.js';
import { loginBody, passwordBody } from './inputs.js';
import { metricsRoute } from './metrics.js';
import { countRoutes } from './count-routes.js';
import { indicatorRoutes } from './indicator-routes.js';
import { buildOpenApi } from './openapi.js';
import { pageRoutes } from './page.js';
import { retrievalRoutes } from './retrieval-routes.js';
import { shareRoute } from './share-route.js';
import { sightingRoutes } from './sighting-routes.js';

/** The session plugin's routes (shared/http/sessions.ts), so the OpenAPI document covers them too. */
const SESSION_DOCS: RouteDoc[] = [
  { method: 'POST', url: '/api/login', summary: 'Log in; sets the session cookie, returns csrfToken; status must-change until the initial password is changed', tag: 'session', auth: 'public', body: loginBody, responses: { 200: '{ status, user, csrfToken, expiresAt }', 400: 'bad body', 401: 'wrong name or password', 403: 'locked: this name from this address, or by an administrator (Retry-After); ORIGIN: sent from another site', 429: 'too many failed logins from this address (Retry-After)' } },
  { method: 'POST', url: '/api/logout', summary: 'End the session', tag: 'session', auth: 'session', responses: { 204: 'logged out', 401: 'not logged in' } },
  { method: 'POST', url: '/api/password', summary: 'Change your own password (the only thing a must-change session may do)', tag: 'session', auth: 'session', body: passwordBody, responses: { 200: '{ status, user, csrfToken }', 400: 'the new password breaks the rule', 403: 'wrong current password, or locked', 429: 'too many failed logins from this address (Retry-After)' } },
  { method: 'GET', url: '/api/session', summary: 'Who is logged in, and the CSRF token', tag: 'session', auth: 'session', responses: { 200: '{ status, user, csrfToken, expiresAt }', 401: 'not logged in' } },
];

export interface HubApiOptions {
  /** behind a reverse proxy that sets X-Forwarded-For / -Proto (the audit's address, the Secure cookie) */
  trustProxy?: boolean;
  /** the page's folder (tests); default hub/api/page in the package */
  pageDir?: string;
  /** origins besides the server's own whose pages may send changes (hub.yaml http.publicUrl) */
  allowedOrigins?: readonly string[];
  /** serve HTTPS with this certificate (hub.yaml http.tls, read by readPageTls) */
  tls?: PageTls | undefined;
}

export interface RegisteredRoute {
  method: string;
  url: string;
}

export interface HubApi {
  app: FastifyInstance;
  /** every route the server answers (tests hold the OpenAPI document to it) */
  routes: RegisteredRoute[];
}

export async function createHubApi(ctx: ApiContext, options: HubApiOptions = {}): Promise<HubApi> {
  const app = Fastify({
    loggerInstance: ctx.logger.child({ part: 'http' }) as FastifyBaseLogger, disableRequestLogging: true,
    trustProxy: options.trustProxy ?? false,
    // share tokens are ~110 characters; the router's default cut-off (100) would answer 414
    routerOptions: { maxParamLength: 1024 },
    // null: plain HTTP. The routes see the same requests either way; only the server type differs.
    https: options.tls ?? null,
  }) as unknown as FastifyInstance;
  const registered: RegisteredRoute[] = [];
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) registered.push({ method, url: r.url });
  });

  errorAnswers(app, { logger: ctx.logger.child({ part: 'http' }), logWhere: 'the hub log' });
  securityHeaders(app);

  await app.register(sessionPlugin, { accounts: ctx.accounts, clock: ctx.clock, allowedOrigins: options.allowedOrigins ?? [] });
  // live relays: a ward pushes whole fMP4 fragments (a main-stream GOP can be a few MB)
  await app.register(websocket, { options: { maxPayload: 16 * 1024 * 1024 } });

  // an officer's ward-scoped permissions are checked against the ward a request is about (hub/api/officer-scope.ts)
  const routes = new RouteTable(app, { wardOf: requestWard });
  routes.docs.push(...SESSION_DOCS);
  incidentRoutes(routes, ctx);
  sightingRoutes(routes, ctx);
  countRoutes(routes, ctx);
  indicatorRoutes(routes, ctx);
  healthRoutes(routes, ctx);
  forwardRoutes(routes, ctx);
  shareRoute(routes, ctx);
  if (ctx.retrievals) retrievalRoutes(routes, ctx.retrievals, ctx);
  if (ctx.live) liveRoutes(app, routes, ctx.live, ctx.city);
  if (ctx.city) cityRoutes(routes, ctx.city, ctx);
  metricsRoute(routes, ctx);
  let openapi: string | undefined;
  routes.add(
    { method: 'GET', url: '/api/openapi.json', summary: 'This document', tag: 'ops', auth: 'public', responses: { 200: 'OpenAPI 3.1' } },
    async (_req, reply) => {
      openapi ??= JSON.stringify(buildOpenApi(routes.docs, { title: `Wardwatch hub API — ${ctx.district}`, version: packageVersion() }));
      return reply.header('content-type', 'application/json; charset=utf-8').send(openapi);
    },
  );
  pageRoutes(app, options.pageDir);
  return { app, routes: registered };
}

export interface HubHttp extends HubApi {
  host: string;
  port: number;
  /** https when it serves TLS */
  scheme: 'http' | 'https';
  close(): Promise<void>;
}

export async function startHubHttp(ctx: ApiContext, listen: { host: string; port: number }, options: HubApiOptions = {}): Promise<HubHttp> {
  const { app, routes } = await createHubApi(ctx, options);
  await app.listen({ host: listen.host, port: listen.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : listen.port;
  return { app, routes, host: listen.host, port, scheme: options.tls ? 'https' : 'http', close: () => app.close() };
}
