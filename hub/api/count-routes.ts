// /api/counts: the counting lines' sums per minute, hour or day. Numbers only (no ids of objects, no pictures),
// so not audited, like the health board.
import type { ApiContext } from './context.js';
import { countsBudget, createCountQuery } from './count-query.js';
import { countsQuery } from './inputs.js';
import type { RouteTable } from '../../shared/http/index.js';

export function countRoutes(routes: RouteTable, ctx: ApiContext): void {
  const counts = createCountQuery(ctx.store.sql);

  routes.add(
    {
      method: 'GET',
      url: '/api/counts',
      summary: 'Counting lines: objects per camera, line, direction and label, summed per minute, hour or day, with the minutes each camera reported',
      tag: 'counts',
      auth: 'health',
      query: countsQuery,
      responses: {
        200: '{ bucket, timeZone, from, to, counts: [{ ward, camera, line, direction, label, at, n }], watched: [{ ward, camera, at, minutes }] }',
        400: 'a filter is not valid, or the request reads too much (`field` names what to change)',
        401: 'not logged in',
        403: 'not allowed',
      },
    },
    async (_req, reply, { query: q }) => {
      const problem = countsBudget(q, await counts.cameras(q));
      if (problem) return reply.code(400).send({ error: `${problem.field}: ${problem.message}`, code: 'RANGE_TOO_LARGE', field: problem.field });
      const answer = await counts.run(q);
      return { bucket: q.bucket, timeZone: q.timeZone, from: q.from, to: q.to, ...answer };
    },
  );
}
