// /api/retrievals: an operator asks a ward for a recorded range (audited retrieve.request), follows its state and
// progress, cancels it while it is on its way (retrieve.cancel), plays the clip once it is at the hub (Range;
// audited clip.view once per view) and shares it with the city by a signed, expiring link (audited share).
// A city account asks for, follows and downloads only ranges the city is granted (hub/city/; audited city.retrieve
// and city.download, naming the grant), and sees only the city's own retrievals.
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { can } from '../../shared/accounts/index.js';
import { beginsView, fileSize, fileUnder, sendFile, type RouteTable } from '../../shared/http/index.js';
import { createForwardHistory } from '../forward/history.js';
import type { Retrievals } from '../retrieval/retrievals.js';
import { refuseUnless } from './city-routes.js';
import type { ApiContext } from './context.js';
import { bodyId, limitQuery, shareBody, ulidParam } from './inputs.js';
import { shareReply } from './share-reply.js';

const ms = (what: string) => z.number({ message: `${what}: a time in milliseconds since the Unix epoch` }).int({ message: 'must be a whole number of milliseconds' }).min(0).max(8_640_000_000_000_000);

export const retrievalBody = z.strictObject({
  ward: bodyId('ward'),
  camera: bodyId('camera'),
  from: ms('from').describe('start of the range (ms since the epoch)'),
  to: ms('to').describe('end of the range (ms since the epoch), later than from'),
});

export const retrievalParams = z.strictObject({
  id: ulidParam('retrieval'),
});

export const retrievalListQuery = z.strictObject({
  limit: limitQuery(200)
    .optional()
    .describe('how many, newest first (default 50)'),
});

/** An incident's share without `unblurred`: a recording has no snapshot to blur. */
export const retrievalShareBody = shareBody.omit({ unblurred: true });

export function retrievalRoutes(routes: RouteTable, retrievals: Retrievals, ctx: ApiContext): void {
  const { store: hubStore, audit, city } = ctx;
  const store = retrievals.store;
  /** with the city's access wired, operators and city accounts share the routes; each handler tells them apart */
  const auth = city ? 'session' : 'incidents';
  const readers = ['incidents', 'city.view'] as const;
  /** a city session (not an operator): sees only what city accounts asked for */
  const isCity = (req: FastifyRequest): boolean => city !== undefined && !can(req.session!.user, 'incidents');
  const byCity = async (name: string): Promise<boolean> => (await ctx.accounts.get(name))?.role === 'city';
  /** the names of the city accounts, for filtering a list */
  const cityNames = async (): Promise<Set<string>> => new Set((await ctx.accounts.list()).filter((u) => u.role === 'city').map((u) => u.name));
  const notFound = { error: 'no such retrieval', code: 'NOT_FOUND' };
  const history = createForwardHistory(hubStore.sql);
  /** where a shared recording stands with each forward target */
  const forwards = async (id: string) =>
    (await history({ kind: 'recording', id })).map(({ target, state, sharedBy, attempts, at, reason }) => ({ target, state, sharedBy, attempts, at, reason }));

  routes.add(
    {
      method: 'POST',
      url: '/api/retrievals',
      summary: 'Ask a ward for the recording of one camera over [from, to); audited as retrieve.request. The ward gets it when it is online',
      tag: 'retrievals',
      auth,
      body: retrievalBody,
      responses: { 202: 'Retrieval (state requested or sent-to-ward)', 400: 'unknown ward or camera, bad or too long a range (`field` names it)', 403: 'not an operator, a city account and the range not granted to the city (the reason says why), or CSRF', 429: 'too many requests of yours on their way' },
    },
    async (req, reply, { body }) => {
      if (city && refuseUnless(req, reply, readers)) return reply;
      const access = isCity(req) ? await city!.grants.check(body.ward, body.camera, { from: body.from, to: body.to }) : undefined;
      if (access && !access.ok) return reply.code(403).send({ error: access.reason, code: 'NOT_GRANTED', field: 'from' });
      const r = await retrievals.request({ ...body, by: req.session!.user.name, ip: req.ip });
      if (!r.ok) return reply.code(r.status).send({ error: `${r.field}: ${r.error}`, code: r.code, field: r.field });
      if (access?.ok) {
        await audit.record({ actor: req.session!.user.name, action: 'city.retrieve', target: access.grantId, ip: req.ip,
          detail: { grant: access.grantId, retrieval: r.retrieval.id, ward: body.ward, camera: body.camera, from: body.from, to: body.to } });
      }
      return reply.code(202).send(r.retrieval);
    },
  );

  routes.add(
    {
      method: 'GET',
      url: '/api/retrievals',
      summary: 'Retrievals, newest first, with state (requested, sent-to-ward, cutting, transferring, ready, failed, cancelled, expired) and progress',
      tag: 'retrievals',
      auth,
      query: retrievalListQuery,
      responses: { 200: '{ retrievals: Retrieval[] } (a city account: the city\'s own)', 400: 'bad limit' },
    },
    async (req, reply, { query }) => {
      if (city && refuseUnless(req, reply, readers)) return reply;
      const limit = query.limit ?? 50;
      if (!isCity(req)) return { retrievals: await store.list(limit, 0) };
      const names = await cityNames();
      return { retrievals: (await store.list(200, 0)).filter((r) => names.has(r.requestedBy)).slice(0, limit) };
    },
  );

  routes.add(
    {
      method: 'GET',
      url: '/api/retrievals/:id',
      summary: 'One retrieval: state, reason, progress (chunks at the hub / total), and where its shares with the city stand',
      tag: 'retrievals',
      auth,
      params: retrievalParams,
      responses: { 200: 'Retrieval with forwards: [{ target, state, sharedBy, attempts, at, reason }]', 400: 'not a retrieval id', 404: 'no such retrieval (a city account: none the city asked for)' },
    },
    async (req, reply, { params }) => {
      if (city && refuseUnless(req, reply, readers)) return reply;
      const view = await store.view(params.id);
      if (!view || (isCity(req) && !(await byCity(view.requestedBy)))) return reply.code(404).send(notFound);
      return { ...view, forwards: await forwards(params.id) };
    },
  );

  routes.add(
    {
      method: 'POST',
      url: '/api/retrievals/:id/cancel',
      summary: 'Cancel a retrieval still on its way (it stops counting against your limit; a clip arriving later is removed); audited as retrieve.cancel',
      tag: 'retrievals',
      auth: 'incidents',
      params: retrievalParams,
      responses: { 200: 'Retrieval (state cancelled)', 400: 'not a retrieval id', 403: 'not an operator, or CSRF', 404: 'no such retrieval', 409: 'already ready, failed, cancelled or expired' },
    },
    async (req, reply, { params }) => {
      const r = await retrievals.cancel(params.id, req.session!.user.name, req.ip);
      if (!r.ok) return reply.code(r.status).send({ error: r.error, code: r.status === 404 ? 'NOT_FOUND' : 'NOT_OPEN' });
      return r.retrieval;
    },
  );

  routes.add(
    {
      method: 'POST',
      url: '/api/retrievals/:id/share',
      summary: 'Share a retrieved recording with the city centre (all forward targets) by the same signed, expiring link as an incident clip; audited as share',
      tag: 'retrievals',
      auth: 'share',
      params: retrievalParams,
      body: retrievalShareBody,
      responses: { 200: '{ shared, results: [{ target, key, state }] }', 400: 'bad id or body', 403: 'not an operator, or CSRF', 404: 'no such retrieval', 409: 'the recording is not at the hub (not ready), or no forward target is configured' },
    },
    (req, reply, { params, body }) => shareReply(reply, params.id, () => ctx.forwarder.forwardRecording(params.id, { by: req.session!.user.name, note: body.note, from: req.ip })),
  );

  routes.add(
    {
      method: 'GET',
      url: '/api/retrievals/:id/clip',
      summary: 'The retrieved clip (MP4) with HTTP Range; audited as clip.view once per view (the request without Range or from byte 0)',
      tag: 'retrievals',
      auth,
      params: retrievalParams,
      responses: { 200: 'the whole MP4', 206: 'the requested bytes', 400: 'bad id', 403: 'a city account, and the city\'s access to the range ended (the reason says why)', 404: 'no such retrieval, or not ready (see state)', 416: 'range not satisfiable' },
      produces: { 200: 'video/mp4', 206: 'video/mp4' },
    },
    async (req, reply, { params }) => {
      if (city && refuseUnless(req, reply, readers)) return reply;
      const row = await store.get(params.id);
      const cityUser = isCity(req);
      if (!row || (cityUser && !(await byCity(row.requested_by)))) return reply.code(404).send(notFound);
      const access = cityUser ? await city!.grants.check(row.ward, row.camera, { from: row.from_ms, to: row.to_ms }) : undefined;
      if (access && !access.ok) return reply.code(403).send({ error: access.reason, code: 'NOT_GRANTED' });
      const file = row.state === 'ready' ? fileUnder(hubStore.root, row.clip_path) : undefined;
      const size = file === undefined ? undefined : await fileSize(file);
      if (!file || size === undefined) return reply.code(404).send({ error: `the clip is not at the hub (state: ${(await store.view(row.id))!.state})`, code: 'NO_CLIP' });
      const startsAView = beginsView(req, size);
      if (startsAView && access?.ok) {
        await audit.record({ actor: req.session!.user.name, action: 'city.download', target: access.grantId, ip: req.ip,
          detail: { grant: access.grantId, retrieval: row.id, ward: row.ward, camera: row.camera, from: row.from_ms, to: row.to_ms } });
      } else if (startsAView) {
        await audit.record({ actor: req.session!.user.name, action: 'clip.view', target: row.id, ip: req.ip, detail: { ward: row.ward, camera: row.camera, retrieval: true, from: row.from_ms, to: row.to_ms } });
      }
      return sendFile(reply, { file, size, type: 'video/mp4', range: req.headers.range });
    },
  );
}
