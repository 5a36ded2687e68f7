// Route guards (preHandlers): who may reach a route, from the session the session plugin attached.
import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { Session } from '../accounts/accounts.js';
import { can, type Permission, type Role } from '../accounts/roles.js';

type Refusal = { status: 401 | 403; body: { error: string; code: string } };

/** 401 without a session; 403 while the initial password is not changed yet (only /api/password works then). */
function refuseSession(session: Session | null): Refusal | undefined {
  if (!session) return { status: 401, body: { error: 'log in first (POST /api/login)', code: 'LOGIN' } };
  if (session.user.mustChange) return { status: 403, body: { error: 'change your initial password first (POST /api/password)', code: 'MUST_CHANGE' } };
  return undefined;
}

function guard(check: (session: Session, request: FastifyRequest) => Refusal | undefined): preHandlerAsyncHookHandler {
  return async (request, reply) => {
    const refusal = refuseSession(request.session) ?? check(request.session!, request);
    if (refusal) return reply.code(refusal.status).send(refusal.body);
    return undefined;
  };
}

export function requireRole(...roles: Role[]): preHandlerAsyncHookHandler {
  return guard((session) => (roles.includes(session.user.role) ? undefined : { status: 403, body: { error: `this needs the role ${roles.join(' or ')}`, code: 'FORBIDDEN' } }));
}

/**
 * Allows the request when the user's role grants `permission` (or, given several, any of them). For ward-scoped
 * permissions (officers), `wardOf` says which ward the request is about (e.g. the route's `:ward`, or the box's own ward).
 */
export function requirePermission(permission: Permission | readonly Permission[], wardOf?: (request: FastifyRequest) => string | undefined): preHandlerAsyncHookHandler {
  const any: readonly Permission[] = typeof permission === 'string' ? [permission] : permission;
  return guard((session, request) =>
    any.some((p) => can(session.user, p, wardOf?.(request)))
      ? undefined
      : { status: 403, body: { error: `not allowed: ${any.join(' or ')}${session.user.ward ? ` (this account sees ward ${session.user.ward} only)` : ''}`, code: 'FORBIDDEN' } },
  );
}
