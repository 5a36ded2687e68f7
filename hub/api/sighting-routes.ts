// /api/sightings: the search through what passed the cameras (every page audited as a search), "follow" a vehicle
// to the cameras around (audited as a search), a vehicle's thumbnail (audited as a view), and the cameras a search
// can name (with their positions, for "near").
import type { ApiContext } from './context.js';
import { encodeCursor } from '../store/cursor.js';
import { followQuery, sightingIdParams, sightingsQuery } from './inputs.js';
import type { RouteTable } from '../../shared/http/index.js';
import { sightingView } from './sighting-view.js';
import { followRequest, type Followed } from '../search/follow.js';
import { createSightingSearch, type SearchRequest, type SightingRow } from '../search/search.js';
import { DEFAULT_RADIUS_M, SIGHTING_COLUMNS } from '../search/plan.js';

const DEFAULT_PAGE = 50;

export function sightingRoutes(routes: RouteTable, ctx: ApiContext): void {
  const { store, audit } = ctx;
  const search = createSightingSearch(store.sql);
  const { sql } = store;
  const thumbnail = (id: string) => sql.get<{ ward: string; camera: string; thumbnail: Buffer | null }>('SELECT ward, camera, thumbnail FROM sightings WHERE id = ?', [id]);
  const followed = (id: string) => sql.get<Followed>('SELECT ward, camera, label, colour, first, last FROM sightings WHERE id = ?', [id]);
  const one = (id: string) => sql.get<SightingRow>(`SELECT ${SIGHTING_COLUMNS} FROM sightings s WHERE s.id = ?`, [id]);

  routes.add(
    {
      method: 'GET',
      url: '/api/sightings',
      summary:
        'Search the sightings (what passed the cameras) in a time window (required, at most 24 h), by place (wards, cameras, or near a camera within radius metres), labels, colours, heading, line and direction, zone and dwell; newest first, keyset paging (pass `next` back as `cursor`), the total on the first page. Every page audited as a search',
      tag: 'sightings',
      auth: 'incidents',
      query: sightingsQuery,
      responses: {
        200: '{ sightings: Sighting[], next: string | null, total?: { n, exact } (first page; exact below 10 000), cameras: [{ ward, camera, metres? }] | null (the place searched) } — no pictures: `thumbnail` says whether one can be fetched',
        400: 'a filter is not valid, or missing (`field` names it: no window, a window over 24 h, an unknown label or colour, a radius out of range, a colour with label person)',
        401: 'not logged in',
        403: 'not allowed',
      },
    },
    async (req, reply, { query: q }) => {
      const { limit, cursor, near, radius, heading, headingSpread, line, direction, ...rest } = q;
      const request: SearchRequest = {
        ...rest,
        ...(near ? { near: { camera: near, radius: radius ?? DEFAULT_RADIUS_M } } : {}),
        ...(heading !== undefined ? { heading: headingRange(heading, headingSpread ?? 45) } : {}),
        ...(line !== undefined ? { line: { line, direction } } : {}),
      };
      const page = await search(request, { limit: limit ?? DEFAULT_PAGE, after: cursor });
      if ('error' in page) return reply.code(400).send({ error: `${page.error.field}: ${page.error.message}`, code: 'BAD_REQUEST', field: page.error.field });
      // audited before a row leaves; a failed audit is a 500 and no results
      const asked = Object.fromEntries(Object.entries(req.query as Record<string, string>).filter(([k]) => k !== 'cursor' && k !== 'limit'));
      await audit.record({ actor: req.session!.user.name, action: 'search', target: null, ip: req.ip, detail: { subject: 'sightings', filter: asked, page: cursor ? 'next' : 'first', results: page.rows.length, ...(page.total ? { total: page.total.n } : {}) } });
      return {
        sightings: page.rows.map((r) => sightingView(r, line)),
        next: page.next ? encodeCursor(page.next) : null,
        ...(page.total ? { total: page.total } : {}),
        cameras: page.cameras ?? null,
      };
    },
  );

  routes.add(
    {
      method: 'GET',
      url: '/api/sightings/:id/follow',
      summary: 'Follow a vehicle: the same label and colour on the other cameras within radius metres in the minutes after it left (oldest first) or before it came (newest first). Never a person. Audited as a search',
      tag: 'sightings',
      auth: 'incidents',
      params: sightingIdParams,
      query: followQuery,
      responses: {
        200: '{ sighting: Sighting, direction, from, to, sightings: Sighting[] (in time order, each with metres from the camera), cameras: [{ ward, camera, metres }] }',
        400: 'bad id or filter; a person (`field` id), or its camera has no position (`field` near)',
        404: 'no such sighting',
      },
    },
    async (req, reply, { params, query: q }) => {
      const s = await followed(params.id);
      if (!s) return reply.code(404).send({ error: 'no such sighting (or it is no longer kept)', code: 'NOT_FOUND' });
      const plan = followRequest(s, q);
      if (!plan.ok) return reply.code(400).send({ error: `${plan.field}: ${plan.message}`, code: 'BAD_REQUEST', field: plan.field });
      const page = await search(plan.request, { limit: q.limit ?? DEFAULT_PAGE, order: plan.order, count: false });
      if ('error' in page) return reply.code(400).send({ error: `${page.error.field}: ${page.error.message}`, code: 'BAD_REQUEST', field: page.error.field });
      const metres = new Map((page.cameras ?? []).map((c) => [`${c.ward}/${c.camera}`, c.metres]));
      const rows = page.rows;
      await audit.record({ actor: req.session!.user.name, action: 'search', target: params.id, ip: req.ip, detail: { subject: 'sightings', follow: q.direction, minutes: q.minutes, radius: q.radius, label: s.label, colour: s.colour, results: rows.length } });
      return {
        sighting: sightingView((await one(params.id))!),
        direction: q.direction,
        from: plan.request.from,
        to: plan.request.to,
        sightings: rows.map((r) => ({ ...sightingView(r), metres: Math.round(metres.get(`${r.ward}/${r.camera}`) ?? 0) })),
        cameras: (page.cameras ?? []).map((c) => ({ ...c, metres: Math.round(c.metres ?? 0) })),
      };
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
      const row = await thumbnail(params.id);
      if (!row) return reply.code(404).send({ error: 'no such sighting (or it is no longer kept)', code: 'NOT_FOUND' });
      if (!row.thumbnail) return reply.code(404).send({ error: 'this sighting has no thumbnail (people never have one)', code: 'NO_THUMBNAIL' });
      await audit.record({ actor: req.session!.user.name, action: 'snapshot.view', target: params.id, ip: req.ip, detail: { subject: 'sighting', ward: row.ward, camera: row.camera } });
      return reply.header('content-type', 'image/jpeg').header('cache-control', 'private, max-age=600').send(row.thumbnail);
    },
  );

  routes.add(
    {
      method: 'GET',
      url: '/api/cameras',
      summary: 'Every camera the hub has heard from, with its position when its box sends one (for a search near a camera)',
      tag: 'sightings',
      auth: 'incidents',
      responses: { 200: '{ cameras: [{ ward, camera, lat, lon }] } (lat/lon null when unknown)', 401: 'not logged in', 403: 'not allowed' },
    },
    async () => ({ cameras: await sql.all<{ ward: string; camera: string; lat: number | null; lon: number | null }>('SELECT ward, camera, lat, lon FROM cameras ORDER BY ward, camera') }),
  );
}

/** heading ± spread as a clockwise range of whole degrees (a range through up wraps). */
export function headingRange(heading: number, spread: number): { from: number; to: number } {
  if (spread >= 180) return { from: 0, to: 360 };
  return { from: (heading - spread + 360) % 360, to: (heading + spread) % 360 };
}
