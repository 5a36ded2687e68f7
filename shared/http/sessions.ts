// Fastify plugin for logins: the session cookie, CSRF on every state-changing request, and the routes
// POST /api/login, POST /api/logout, POST /api/password, GET /api/session.
//
// CSRF: every POST/PUT/PATCH/DELETE whose Origin header names another site is refused (403 ORIGIN), login included;
// no Origin (not a browser) passes. Then each session has its own random token: the page reads it from the login
// answer or GET /api/session and sends it as `x-csrf-token` with every POST/PUT/PATCH/DELETE; a request that carries
// a live session cookie without the right token gets 403. Requests without a session need no token: they carry no
// authority (guards answer 401), and the login body must be a JSON object, which a cross-site form cannot send.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Accounts, LoginRefusal, Session, User } from '../accounts/accounts.js';
import { PASSWORD_MAX_LENGTH } from '../accounts/policy.js';
import { parseBody } from './body.js';
import { readCookie, sessionCookie } from './cookies.js';
import { originAllowed } from './origin.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** the live session of this request's cookie, or null */
    session: Session | null;
  }
  interface FastifyContextConfig {
    /** false: this route takes state-changing requests without x-csrf-token (login only, or machine-to-machine) */
    csrf?: boolean;
  }
}

export interface SessionPluginOptions {
  accounts: Accounts;
  /** default `ww_session` */
  cookieName?: string;
  /** `auto` (default): Secure when the request came over TLS (or X-Forwarded-Proto https with trustProxy) */
  secureCookie?: boolean | 'auto';
  /** the accounts' clock, for Retry-After (tests) */
  clock?: () => number;
  /** origins besides the server's own that may send state-changing requests (the hub's publicUrl) */
  allowedOrigins?: readonly string[];
}

export const CSRF_HEADER = 'x-csrf-token';
const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const loginBody = z.strictObject({ name: z.string().min(1).max(64), password: z.string().min(1).max(PASSWORD_MAX_LENGTH) });
const passwordBody = z.strictObject({ current: z.string().min(1).max(PASSWORD_MAX_LENGTH), next: z.string().max(PASSWORD_MAX_LENGTH) });

function sameToken(a: string, b: string): boolean {
  // hash first: timingSafeEqual needs equal lengths, and the length of the secret must not leak either
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

function publicUser(user: User) {
  return { name: user.name, displayName: user.displayName, role: user.role, ward: user.ward, mustChange: user.mustChange };
}

function sessionAnswer(session: { user: User; csrfToken: string; expiresAt: number }) {
  return { status: session.user.mustChange ? 'must-change' : 'ok', user: publicUser(session.user), csrfToken: session.csrfToken, expiresAt: session.expiresAt };
}

/**
 * The answer to a refused login or password check. It never depends on whether the name exists: the same status,
 * body and (no password check, or one scrypt) timing for both.
 */
function refusalAnswer(reply: FastifyReply, refusal: LoginRefusal, now: number, wrong: { error: string; code: string; field?: string }, wrongStatus: 401 | 403) {
  if (refusal.outcome === 'wrong') return reply.code(wrongStatus).send(wrong);
  const retryAfter = (until: number) => void reply.header('retry-after', String(Math.max(1, Math.ceil((until - now) / 1000))));
  if (refusal.outcome === 'throttled') {
    retryAfter(refusal.until);
    return reply.code(429).send({ error: `too many failed logins from this address: try again after ${new Date(refusal.until).toISOString()}`, code: 'THROTTLED', retryAt: refusal.until });
  }
  const { until } = refusal;
  if (until !== null) retryAfter(until);
  return reply.code(403).send({
    error: until === null ? 'this account is locked; ask an administrator' : `too many failed logins for this name from this address: try again after ${new Date(until).toISOString()}`,
    code: 'LOCKED',
    lockedUntil: until,
  });
}

const plugin: FastifyPluginAsync<SessionPluginOptions> = async (app: FastifyInstance, options) => {
  const { accounts } = options;
  const cookieName = options.cookieName ?? 'ww_session';
  const clock = options.clock ?? Date.now;
  const allowedOrigins = options.allowedOrigins ?? [];
  const secure = (request: FastifyRequest) => (options.secureCookie === undefined || options.secureCookie === 'auto' ? request.protocol === 'https' : options.secureCookie);
  const setCookie = (request: FastifyRequest, reply: FastifyReply, value: string, maxAge?: number) =>
    reply.header('set-cookie', sessionCookie(cookieName, value, maxAge === undefined ? { secure: secure(request) } : { secure: secure(request), maxAge }));

  app.decorateRequest('session', null);

  app.addHook('onRequest', async (request, reply) => {
    // request.host: the Host header, or behind a trusted proxy (trustProxy) its X-Forwarded-Host, as protocol is its -Proto
    if (UNSAFE_METHODS.has(request.method) && !originAllowed({ origin: request.headers.origin, protocol: request.protocol, host: request.host, allowed: allowedOrigins })) {
      return reply.code(403).send({ error: `a change sent from another site's page (Origin ${String(request.headers.origin).slice(0, 100)}) is refused: use this server's own page`, code: 'ORIGIN' });
    }
    const token = readCookie(request.headers.cookie, cookieName);
    request.session = (token && (await accounts.resume(token))) || null;
    if (!request.session || !UNSAFE_METHODS.has(request.method) || request.routeOptions.config.csrf === false) return undefined;
    const sent = request.headers[CSRF_HEADER];
    if (typeof sent !== 'string' || !sameToken(sent, request.session.csrfToken)) {
      return reply.code(403).send({ error: `missing or wrong ${CSRF_HEADER} header: send the csrfToken of GET /api/session with every change`, code: 'CSRF' });
    }
    return undefined;
  });

  app.post('/api/login', { config: { csrf: false } }, async (request, reply) => {
    const body = parseBody(loginBody, request.body);
    if (!body.ok) return reply.code(400).send(body.answer);
    const result = await accounts.login(body.value.name, body.value.password, request.ip);
    if (!('session' in result)) return refusalAnswer(reply, result, clock(), { error: 'wrong name or password', code: 'BAD_LOGIN' }, 401);
    setCookie(request, reply, result.session.token);
    return sessionAnswer({ user: result.user, csrfToken: result.session.csrfToken, expiresAt: result.session.expiresAt });
  });

  app.get('/api/session', async (request, reply) => {
    if (!request.session) return reply.code(401).send({ error: 'not logged in (POST /api/login)', code: 'LOGIN' });
    return sessionAnswer(request.session);
  });

  app.post('/api/logout', async (request, reply) => {
    setCookie(request, reply, '', 0);
    if (!request.session) return reply.code(401).send({ error: 'not logged in', code: 'LOGIN' });
    await accounts.logout(request.session, request.ip);
    return reply.code(204).send();
  });

  // the one action a session with an unchanged initial password may take
  app.post('/api/password', async (request, reply) => {
    const session = request.session;
    if (!session) return reply.code(401).send({ error: 'log in first (POST /api/login)', code: 'LOGIN' });
    const body = parseBody(passwordBody, request.body);
    if (!body.ok) return reply.code(400).send(body.answer);
    const result = await accounts.changePassword(session, body.value.current, body.value.next, request.ip);
    switch (result.outcome) {
      case 'ok':
        return sessionAnswer({ ...session, user: result.user });
      case 'rule':
        return reply.code(400).send({ error: `next: ${result.message}`, code: 'BAD_REQUEST', field: 'next' });
      default:
        // a lock after failed logins keeps the session (it may be the user's, and the guesser is refused anyway);
        // an administrator's lock has ended it already
        if (result.outcome === 'locked' && result.until === null) setCookie(request, reply, '', 0);
        return refusalAnswer(reply, result, clock(), { error: 'current: wrong password', code: 'BAD_PASSWORD', field: 'current' }, 403);
    }
  });
};

/** Register once on the app (not inside an encapsulated scope): its hook must see every route. */
export const sessionPlugin: FastifyPluginAsync<SessionPluginOptions> = Object.assign(plugin, {
  // what fastify-plugin does: the hook and the request decoration apply to the parent scope, i.e. all routes
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'wardwatch-sessions',
});
