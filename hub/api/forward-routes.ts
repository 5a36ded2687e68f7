// /api/forward: what the city refused for good (dead letters), a retry for each, and the forwarder's counts.
import type { ApiContext } from './context.js';
import { deadLetterParams, deadLettersQuery } from './inputs.js';
import type { RouteTable } from '../../shared/http/index.js';

export function forwardRoutes(routes: RouteTable, ctx: ApiContext): void {
  routes.add(
    {
      method: 'GET',
      url: '/api/forward/dead',
      summary: 'Dead letters (alerts the city refused for good), newest first, with the reason',
      tag: 'forward',
      auth: 'share',
      query: deadLettersQuery,
      responses: { 200: '{ deadLetters: DeadLetter[] }', 400: 'bad limit or before' },
    },
    async (_req, _reply, { query }) => ({ deadLetters: await ctx.forwarder.deadLetters({ limit: query.limit ?? 100, ...(query.before !== undefined ? { before: query.before } : {}) }) }),
  );

  routes.add(
    {
      method: 'POST',
      url: '/api/forward/dead/:key/retry',
      summary: 'Give a dead letter another go (after its cause was fixed)',
      tag: 'forward',
      auth: 'share',
      params: deadLetterParams,
      responses: { 200: '{ retried: key }', 400: 'not a dead letter key', 404: 'no such dead letter' },
    },
    async (req, reply, { params }) => {
      if (!(await ctx.forwarder.retryDeadLetter(params.key))) return reply.code(404).send({ error: `no dead letter ${params.key}`, code: 'NOT_FOUND' });
      ctx.logger.info({ key: params.key, by: req.session!.user.name }, `dead letter ${params.key} retried by ${req.session!.user.name}`);
      return { retried: params.key };
    },
  );

  routes.add(
    {
      method: 'GET',
      url: '/api/forward/stats',
      summary: 'Forward outbox counts: pending, delivered, dead, in flight',
      tag: 'forward',
      auth: 'share',
      responses: { 200: '{ pending, delivered, dead, inFlight }' },
    },
    async () => ctx.forwarder.stats(),
  );
}
