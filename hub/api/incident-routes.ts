// /api/incidents: the list with filters and keyset paging, one incident, its snapshot and clip (every view
// audited), and the operator's share to the city.
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { beginsView, fileSize, fileUnder, sendFile, type RouteTable } from '../../shared/http/index.js';
import { createForwardHistory } from '../forward/history.js';
import type { ApiContext } from './context.js';
import { encodeCursor } from '../store/cursor.js';
import { createIncidentQuery } from './incident-query.js';
import { incidentView } from './incident-view.js';
import { incidentIdParams, listQuery, shareBody, snapshotQuery } from './inputs.js';
import { shareReply } from './share-reply.js';
import { wardScope } from './officer-scope.js';

const DEFAULT_PAGE = 50;
const THUMB_WIDTH = 320;

export function incidentRoutes(routes: RouteTable, ctx: ApiContext): void {
  const { store, audit } = ctx;
  const query = createIncidentQuery(store.sql);
  const forwards = createForwardHistory(store.sql);

  const notFound = { error: 'no such incident (or it is no longer kept)', code: 'NOT_FOUND' };
  /** an incident of another ward is, to an officer, no incident at all */
  const visible = <T extends { ward: string }>(req: Parameters<typeof wardScope>[0], row: T | undefined): T | undefined => {
    const scope = wardScope(req);
    return row && (scope === undefined || row.ward === scope) ? row : undefined;
  };

  routes.add(
    {
      method: 'GET',
      url: '/api/incidents',
      summary: 'Incidents, newest first, with filters; keyset paging (pass `next` back as `cursor`). An officer sees the own ward\'s only (every box of it)',
      tag: 'incidents',
      auth: ['incidents', 'events'],
      query: listQuery,
      responses: { 200: '{ incidents: Incident[], next: string | null }', 400: 'a filter is not valid (`field` names it)', 401: 'not logged in', 403: 'not allowed' },
    },
    async (req, _reply, { query: q }) => {
      const { limit, cursor, ...filter } = q;
      const page = await query({ ...filter, ward: wardScope(req) ?? filter.ward }, { limit: limit ?? DEFAULT_PAGE, after: cursor });
      return { incidents: page.rows.map(incidentView), next: page.next ? encodeCursor(page.next) : null };
    },
  );

  routes.add(
    {
      method: 'GET',
      url: '/api/incidents/:id',
      summary: 'One incident, with where it was forwarded (an officer: of the own ward only)',
      tag: 'incidents',
      auth: ['incidents', 'events'],
      params: incidentIdParams,
      responses: { 200: 'Incident & { forwards }', 400: 'not an incident id', 404: 'no such incident' },
    },
    async (req, reply, { params }) => {
      const row = visible(req, await store.getIncident(params.id));
      if (!row) return reply.code(404).send(notFound);
      return { ...incidentView(row), forwards: await forwards({ kind: 'incident', id: row.id }) };
    },
  );

  routes.add(
    {
      method: 'GET',
      url: '/api/incidents/:id/snapshot',
      summary: 'The incident snapshot (JPEG); audited as snapshot.view (an officer: of the own ward only)',
      tag: 'incidents',
      auth: ['incidents', 'events'],
      params: incidentIdParams,
      query: snapshotQuery,
      responses: { 200: 'the JPEG', 400: 'bad id or size', 404: 'no such incident, or no snapshot' },
      produces: { 200: 'image/jpeg' },
    },
    async (req, reply, { params, query: q }) => {
      const row = visible(req, await store.getIncident(params.id));
      const file = row && fileUnder(store.root, row.snapshot_path);
      if (!row || !file) return reply.code(404).send({ error: 'this incident has no snapshot', code: 'NOT_FOUND' });
      let jpeg: Buffer;
      try {
        jpeg = await readFile(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return reply.code(404).send({ error: 'the snapshot was removed by retention', code: 'NOT_FOUND' });
        throw err;
      }
      const thumb = q.size === 'thumb';
      if (thumb) jpeg = await sharp(jpeg).resize({ width: THUMB_WIDTH, withoutEnlargement: true }).jpeg({ quality: 75 }).toBuffer();
      // audited before a byte leaves; a failed audit is a 500 and no picture
      await audit.record({ actor: req.session!.user.name, action: 'snapshot.view', target: row.id, ip: req.ip, detail: { ward: row.ward, camera: row.camera, size: thumb ? 'thumb' : 'full' } });
      // private: the browser may keep it (one audited view per page load), shared caches may not
      return reply.header('content-type', 'image/jpeg').header('cache-control', 'private, max-age=600').send(jpeg);
    },
  );

  routes.add(
    {
      method: 'GET',
      url: '/api/incidents/:id/clip',
      summary: 'The incident clip (MP4) with HTTP Range; audited as clip.view once per view (the request without Range or from byte 0); an officer: of the own ward only',
      tag: 'incidents',
      auth: ['incidents', 'events'],
      params: incidentIdParams,
      responses: { 200: 'the whole MP4', 206: 'the requested bytes', 400: 'bad id', 404: 'no such incident, or no clip (see clip.state)', 416: 'range not satisfiable' },
      produces: { 200: 'video/mp4', 206: 'video/mp4' },
    },
    async (req, reply, { params }) => {
      const row = visible(req, await store.getIncident(params.id));
      if (!row) return reply.code(404).send(notFound);
      const file = row.clip_state === 'present' ? fileUnder(store.root, row.clip_path) : undefined;
      const size = file === undefined ? undefined : await fileSize(file);
      if (!file || size === undefined) return reply.code(404).send({ error: `no clip at the hub (clip state: ${row.clip_state})`, code: 'NO_CLIP', clipState: row.clip_state });
      // a HEAD shows nothing; a Range from byte 0 (or none) is where a player's view begins
      if (beginsView(req, size)) await audit.record({ actor: req.session!.user.name, action: 'clip.view', target: row.id, ip: req.ip, detail: { ward: row.ward, camera: row.camera } });
      return sendFile(reply, { file, size, type: 'video/mp4', range: req.headers.range });
    },
  );

  routes.add(
    {
      method: 'POST',
      url: '/api/incidents/:id/share',
      summary: 'Share the incident with the city centre (all forward targets); audited as share',
      tag: 'incidents',
      auth: 'share',
      params: incidentIdParams,
      body: shareBody,
      responses: { 200: '{ shared, results: [{ target, key, state }] }', 400: 'bad id or body', 403: 'not an operator, or CSRF', 404: 'no such incident', 409: 'no forward target configured' },
    },
    (req, reply, { params, body }) =>
      shareReply(reply, params.id, () => ctx.forwarder.forwardIncident(params.id, { by: req.session!.user.name, unblurred: body.unblurred ?? false, note: body.note, from: req.ip })),
  );
}
