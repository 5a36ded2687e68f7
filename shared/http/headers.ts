// Headers on every answer of both servers (the hub's API and the ward box's review page): no content sniffing
// anywhere, and API JSON never stored by a browser or a proxy (it names people, plates and places); over TLS (or
// behind a trusted TLS proxy) HSTS, so a browser never again asks the page over plain HTTP.
import type { FastifyInstance } from 'fastify';
import { HSTS } from './page-tls.js';

/** Adds the headers to every answer of `app`; a route that set its own Cache-Control keeps it. */
export function securityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-content-type-options', 'nosniff');
    if (request.protocol === 'https') void reply.header('strict-transport-security', HSTS);
    if (!request.url.startsWith('/api/') || reply.hasHeader('cache-control')) return;
    if (String(reply.getHeader('content-type') ?? '').startsWith('application/json')) void reply.header('cache-control', 'no-store');
  });
}
