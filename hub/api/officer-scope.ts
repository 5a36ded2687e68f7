// An officer at the hub: the incidents and the health of the officer's own ward, every box of it (pure helpers).
// The ward-scoped permissions (shared/accounts/roles.ts: `events`) are checked by the route table against the ward a
// request names (`:ward`, `?ward=`) or, when it names none, the officer's own; the routes then keep to that ward.
import type { FastifyRequest } from 'fastify';

/** the ward a request is about, for the route table's ward-scoped check */
export function requestWard(request: FastifyRequest): string | undefined {
  const named = (request.params as { ward?: unknown } | undefined)?.ward ?? (request.query as { ward?: unknown } | undefined)?.ward;
  if (typeof named === 'string') return named;
  return request.session?.user.ward ?? undefined;
}

/** the one ward this session may see, or undefined for a district-wide role */
export function wardScope(request: FastifyRequest): string | undefined {
  const user = request.session?.user;
  return user?.role === 'officer' ? (user.ward ?? undefined) : undefined;
}
