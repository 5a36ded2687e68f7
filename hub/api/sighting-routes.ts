// /api/sightings: the search through what passed the cameras (every page audited as a search) and a vehicle's
// thumbnail (audited as a view).
import type { ApiContext } from './context.js';
import { encodeCursor } from './cursor.js';
import { sightingIdParams, sightingsQuery } from './inputs.js';
import type { RouteTable } from './route.js';
import { createSightingQuery } from './sighting-query.js';
import { sightingView } from './sighting-view.js';

const DEFAULT_PAGE = 50;

export function sightingRoutes(routes: RouteTable, ctx: ApiContext): void {
  const { store, audit } = ctx;
  const search = createSightingQuery(store.db);
  const thumbnail = store.db.prepare<[string], { ward: string; camera: string; thumbnail: Buffer | null }>('SELECT ward, camera, thumbnail FROM sightings WHERE id = ?');

  routes.add(
    {
      method: 'GET',
      url: '/api/sightings',
      summary: 'Sightings (what passed the cameras), newest first, with filters; keyset paging (pass `next` back as `cursor`); every page audited as a search',
      tag: 'sightings',
      auth: 'incidents',
      query: sightingsQuery,
      responses: { 200: '{ sightings: Sighting[], next: string | null } (no pictures: `thumbnail` says whether one can be fetched)', 400: 'a filter is not valid (`field` names it)', 401: 'not logged in', 403: 'not allowed' },
    },
    async (req, _reply, { query: q }) => {
      const { limit, cursor, ...filter } = q;
      const page = search(filter, { limit: limit ?? DEFAULT_PAGE, after: cursor });
      // audited before a row leaves; a failed audit is a 500 and no results
      const asked = Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined));
      audit.record({ actor: req.session!.user.name, action: 'search', target: null, ip: req.ip, detail: { subject: 'sightings', filter: asked, page: cursor ? 'next' : 'first', results: page.rows.length } });
      return { sightings: page.rows.map((r) => sightingView(r, filter.line)), next: page.next ? encodeCursor(page.next) : null };
    },
  );

  routes.add(
    {
      method: 'GET',
      url: '/api/sightings/:id/thumbnail',
      summary: 'A vehicle sighting\'s thumbnail (JPEG, ≤ 8 KB); audited as snapshot.view (detail.subject = sighting)',
      tag: 'sightings',
      auth: 'incidents',
      params: sightingIdParams,
      responses: { 200: 'the JPEG', 400: 'not a sighting id', 404: 'no such sighting, or it has no thumbnail (people never have one)' },
      produces: { 200: 'image/jpeg' },
    },
    async (req, reply, { params }) => {
      const row = thumbnail.get(params.id);
      if (!row) return reply.code(404).send({ error: 'no such sighting (or it is no longer kept)', code: 'NOT_FOUND' });
      if (!row.thumbnail) return reply.code(404).send({ error: 'this sighting has no thumbnail (people never have one)', code: 'NO_THUMBNAIL' });
      audit.record({ actor: req.session!.user.name, action: 'snapshot.view', target: params.id, ip: req.ip, detail: { subject: 'sighting', ward: row.ward, camera: row.camera } });
      return reply.header('content-type', 'image/jpeg').header('cache-control', 'private, max-age=600').send(row.thumbnail);
    },
  );
}
