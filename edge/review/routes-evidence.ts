// Events (list, one, snapshot, clip), evidence holds (place, list, lift) and exports (make, progress, files).
import path from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { beginsView, fileSize, sendFile, type RouteTable } from '../../shared/http/index.js';
import { actor, notFound, type ReviewContext } from './context.js';

const DAY_MS = 86_400_000;
const ms = z.coerce.number().int().nonnegative();
const eventQuery = z.strictObject({
  camera: z.string().max(64).optional(),
  label: z.string().max(32).optional(),
  from: ms.optional(),
  to: ms.optional(),
  before: z.string().max(40).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});
const reason = z.string().trim().max(500).optional();
const holdBody = z.union([
  z.strictObject({ eventId: z.string().min(1).max(40), reason }),
  z.strictObject({ camera: z.string().min(1).max(64), fromMs: z.number().int().nonnegative(), toMs: z.number().int().positive(), reason }),
]);
const releaseBody = z.strictObject({ reason });
const exportBody = z.strictObject({
  cameras: z.array(z.string().min(1).max(64)).min(1).max(64),
  fromMs: z.number().int().nonnegative(),
  toMs: z.number().int().positive(),
  reason,
});
const idParams = z.strictObject({ id: z.string() });
/** `all=1`: lifted holds too */
const holdsQuery = z.object({ all: z.string().optional() });
const exportFileParams = z.strictObject({ id: z.string(), name: z.string() });

/** An event hold keeps the event's clip range, or its span with a margin while the clip is not cut yet. */
const EVENT_MARGIN_MS = 10_000;

export function evidenceRoutes(routes: RouteTable, ctx: ReviewContext): void {
  const hasCamera = (id: string) => ctx.cameras.some((c) => c.id === id);

  // ---- events
  routes.add(
    {
      method: 'GET',
      url: '/api/events',
      summary: 'Alerts, newest first, with filters; and the labels seen',
      tag: 'events',
      auth: 'events',
      query: eventQuery,
      responses: { 200: '{ events, labels }', 400: 'a filter is not valid (`field` names it)' },
    },
    async (_request, _reply, { query: q }) => ({
      events: ctx.events.list({ camera: q.camera, label: q.label, fromMs: q.from, toMs: q.to, before: q.before, limit: q.limit }),
      labels: ctx.events.labels(),
    }),
  );

  routes.add(
    { method: 'GET', url: '/api/events/:id', summary: 'One alert (without its file paths)', tag: 'events', auth: 'events', params: idParams, responses: { 200: '{ event }', 404: 'no such alert' } },
    async (_request, reply, { params }) => {
      const found = ctx.events.get(params.id);
      if (!found) return notFound(reply, 'event');
      const { snapshotPath: _snapshot, clipPath: _clip, ...event } = found;
      return { event };
    },
  );

  const eventFile = (kind: 'snapshot' | 'clip') => async (request: FastifyRequest, reply: FastifyReply, { params }: { params: { id: string } }) => {
    const ev = ctx.events.get(params.id);
    const file = kind === 'snapshot' ? ev?.snapshotPath : ev?.clipPath;
    const size = file ? await fileSize(file) : undefined;
    if (!ev || !file || size === undefined) return notFound(reply, kind);
    if (beginsView(request, size)) ctx.audit.recordNow({ actor: request.session!.user.name, action: kind === 'snapshot' ? 'snapshot.view' : 'clip.view', target: ev.id, ip: request.ip, detail: { camera: ev.camera } });
    return sendFile(reply, { file, size, type: kind === 'snapshot' ? 'image/jpeg' : 'video/mp4', range: request.headers.range });
  };
  routes.add(
    { method: 'GET', url: '/api/events/:id/snapshot', summary: "The alert's snapshot; audited snapshot.view", tag: 'events', auth: 'events', params: idParams, responses: { 200: 'the JPEG', 206: 'the requested bytes', 404: 'no such alert, or no snapshot', 416: 'range not satisfiable' }, produces: { 200: 'image/jpeg', 206: 'image/jpeg' } },
    eventFile('snapshot'),
  );
  routes.add(
    { method: 'GET', url: '/api/events/:id/clip', summary: "The alert's clip with HTTP Range; audited clip.view once per view (the GET without Range or from byte 0)", tag: 'events', auth: 'events', params: idParams, responses: { 200: 'the MP4', 206: 'the requested bytes', 404: 'no such alert, or no clip', 416: 'range not satisfiable' }, produces: { 200: 'video/mp4', 206: 'video/mp4' } },
    eventFile('clip'),
  );

  // ---- holds: officers place them; an administrator may also lift them
  routes.add(
    { method: 'GET', url: '/api/holds', summary: 'Holds in force (all=1: lifted ones too)', tag: 'holds', auth: ['hold.place', 'hold.manage'], query: holdsQuery, responses: { 200: '{ holds }' } },
    async (_request, _reply, { query }) => ({ holds: ctx.holds.list({ includeReleased: query.all === '1' }) }),
  );

  routes.add(
    {
      method: 'POST',
      url: '/api/holds',
      summary: "Hold an alert's recording, or a camera's range, against retention; audited",
      tag: 'holds',
      auth: ['hold.place', 'hold.manage'],
      body: holdBody,
      responses: { 201: '{ hold }', 400: 'bad body, a camera not in this ward, or to before from (`field` names it)', 404: 'no such alert' },
    },
    async (request, reply, { body }) => {
      const by = actor(request);
      if ('eventId' in body) {
        const ev = ctx.events.get(body.eventId);
        if (!ev) return notFound(reply, 'event');
        const fromMs = ev.clipStartMs ?? ev.start - EVENT_MARGIN_MS;
        const toMs = ev.clipEndMs ?? (ev.end ?? ctx.clock()) + EVENT_MARGIN_MS;
        return reply.code(201).send({ hold: ctx.holds.add({ camera: ev.camera, fromMs, toMs, ref: `event:${ev.id}`, reason: body.reason ?? null }, by) });
      }
      if (!hasCamera(body.camera)) return reply.code(400).send({ error: `camera: "${body.camera}" is not in this ward`, code: 'BAD_REQUEST', field: 'camera' });
      if (body.toMs <= body.fromMs) return reply.code(400).send({ error: 'toMs: must be after fromMs', code: 'BAD_REQUEST', field: 'toMs' });
      return reply.code(201).send({ hold: ctx.holds.add({ camera: body.camera, fromMs: body.fromMs, toMs: body.toMs, ref: null, reason: body.reason ?? null }, by) });
    },
  );

  routes.add(
    { method: 'POST', url: '/api/holds/:id/release', summary: 'Lift a hold in force; audited', tag: 'holds', auth: 'hold.manage', params: idParams, body: releaseBody, responses: { 200: '{ released }', 400: 'bad body', 404: 'no such hold in force' } },
    async (request, reply, { params, body }) => {
      const id = Number(params.id);
      if (!Number.isSafeInteger(id) || !ctx.holds.release(id, actor(request), body.reason ?? null)) return notFound(reply, 'hold in force');
      return { released: id };
    },
  );

  // ---- exports
  routes.add(
    {
      method: 'POST',
      url: '/api/exports',
      summary: 'Export cameras over [fromMs, toMs) (at most 24 h), signed; audited. Follow it with GET /api/exports/:id',
      tag: 'exports',
      auth: 'export',
      body: exportBody,
      responses: { 202: '{ export }', 400: 'bad body, a camera not in this ward, a range backwards or over 24 h (`field` names it)' },
    },
    async (request, reply, { body }) => {
      const unknown = body.cameras.find((c) => !hasCamera(c));
      if (unknown) return reply.code(400).send({ error: `cameras: "${unknown}" is not in this ward`, code: 'BAD_REQUEST', field: 'cameras' });
      if (body.toMs <= body.fromMs) return reply.code(400).send({ error: 'toMs: must be after fromMs', code: 'BAD_REQUEST', field: 'toMs' });
      if (body.toMs - body.fromMs > DAY_MS) return reply.code(400).send({ error: 'toMs: an export spans at most 24 hours; make several', code: 'BAD_REQUEST', field: 'toMs' });
      const id = ctx.exports.start({ cameras: [...new Set(body.cameras)], fromMs: body.fromMs, toMs: body.toMs, reason: body.reason ?? null, by: actor(request) });
      return reply.code(202).send({ export: ctx.exports.get(id) });
    },
  );

  routes.add(
    { method: 'GET', url: '/api/exports', summary: 'Exports, with their state', tag: 'exports', auth: 'export', responses: { 200: '{ exports }' } },
    async () => ({ exports: ctx.exports.list() }),
  );

  routes.add(
    { method: 'GET', url: '/api/exports/:id', summary: "One export's progress, and its files once done", tag: 'exports', auth: 'export', params: idParams, responses: { 200: '{ export, files }', 404: 'no such export' } },
    async (_request, reply, { params }) => {
      const status = ctx.exports.get(params.id);
      if (!status) return notFound(reply, 'export');
      return { export: status, files: ctx.exports.files(params.id) };
    },
  );

  routes.add(
    {
      method: 'GET',
      url: '/api/exports/:id/files/:name',
      summary: "One of an export's files, as a download with HTTP Range; a video's view audited clip.view",
      tag: 'exports',
      auth: 'export',
      params: exportFileParams,
      responses: { 200: 'the file', 206: 'the requested bytes', 404: 'no such export or file', 416: 'range not satisfiable' },
      produces: { 200: 'application/octet-stream', 206: 'application/octet-stream' },
    },
    async (request, reply, { params: { id, name } }) => {
      const dir = ctx.exports.folder(id);
      const file = dir && ctx.exports.files(id).some((f) => f.name === name) ? path.join(dir, name) : undefined;
      const size = file ? await fileSize(file) : undefined;
      if (!file || size === undefined) return notFound(reply, 'export file');
      const video = name.endsWith('.mp4');
      if (video && beginsView(request, size)) ctx.audit.recordNow({ actor: request.session!.user.name, action: 'clip.view', target: `export:${id}`, ip: request.ip, detail: { file: name } });
      const type = video ? 'video/mp4' : name.endsWith('.json') ? 'application/json' : 'text/plain';
      return sendFile(reply, { file, size, type, range: request.headers.range, downloadName: name });
    },
  );
}
