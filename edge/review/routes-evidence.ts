// Events (list, one, snapshot, clip), evidence holds (place, list, lift) and exports (make, progress, files).
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { actor, allowAny, checked, notFound, type ReviewContext } from './context.js';
import { sendFile } from './send-file.js';

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

/** An event hold keeps the event's clip range, or its span with a margin while the clip is not cut yet. */
const EVENT_MARGIN_MS = 10_000;

/** Only the first request of a <video>'s byte ranges counts as a view. */
function firstRange(request: FastifyRequest): boolean {
  const range = request.headers.range;
  return !range || /^bytes=0-/.test(range);
}

export function evidenceRoutes(app: FastifyInstance, ctx: ReviewContext): void {
  const ward = ctx.ward.id;
  const hasCamera = (id: string) => ctx.cameras.some((c) => c.id === id);

  // ---- events
  app.get('/api/events', { preHandler: allowAny(ward, 'events') }, async (request, reply) => {
    const q = checked(eventQuery, request.query, reply);
    if (!q) return reply;
    return { events: ctx.events.list({ camera: q.camera, label: q.label, fromMs: q.from, toMs: q.to, before: q.before, limit: q.limit }), labels: ctx.events.labels() };
  });

  app.get('/api/events/:id', { preHandler: allowAny(ward, 'events') }, async (request, reply) => {
    const found = ctx.events.get((request.params as { id: string }).id);
    if (!found) return notFound(reply, 'event');
    const { snapshotPath: _snapshot, clipPath: _clip, ...event } = found;
    return { event };
  });

  const eventFile = (kind: 'snapshot' | 'clip') => async (request: FastifyRequest, reply: FastifyReply) => {
    const ev = ctx.events.get((request.params as { id: string }).id);
    const file = kind === 'snapshot' ? ev?.snapshotPath : ev?.clipPath;
    if (!ev || !file || !existsSync(file)) return notFound(reply, kind);
    if (firstRange(request)) ctx.audit.record({ actor: request.session!.user.name, action: kind === 'snapshot' ? 'snapshot.view' : 'clip.view', target: ev.id, ip: request.ip, detail: { camera: ev.camera } });
    return sendFile(request, reply, file, kind === 'snapshot' ? 'image/jpeg' : 'video/mp4');
  };
  app.get('/api/events/:id/snapshot', { preHandler: allowAny(ward, 'events') }, eventFile('snapshot'));
  app.get('/api/events/:id/clip', { preHandler: allowAny(ward, 'events') }, eventFile('clip'));

  // ---- holds: officers place them; an administrator may also lift them
  app.get('/api/holds', { preHandler: allowAny(ward, 'hold.place', 'hold.manage') }, async (request) => {
    const all = (request.query as { all?: string } | undefined)?.all === '1';
    return { holds: ctx.holds.list({ includeReleased: all }) };
  });

  app.post('/api/holds', { preHandler: allowAny(ward, 'hold.place', 'hold.manage') }, async (request, reply) => {
    const body = checked(holdBody, request.body, reply);
    if (!body) return reply;
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
  });

  app.post('/api/holds/:id/release', { preHandler: allowAny(ward, 'hold.manage') }, async (request, reply) => {
    const id = Number((request.params as { id: string }).id);
    const body = checked(releaseBody, request.body ?? {}, reply);
    if (!body) return reply;
    if (!Number.isSafeInteger(id) || !ctx.holds.release(id, actor(request), body.reason ?? null)) return notFound(reply, 'hold in force');
    return { released: id };
  });

  // ---- exports
  app.post('/api/exports', { preHandler: allowAny(ward, 'export') }, async (request, reply) => {
    const body = checked(exportBody, request.body, reply);
    if (!body) return reply;
    const unknown = body.cameras.find((c) => !hasCamera(c));
    if (unknown) return reply.code(400).send({ error: `cameras: "${unknown}" is not in this ward`, code: 'BAD_REQUEST', field: 'cameras' });
    if (body.toMs <= body.fromMs) return reply.code(400).send({ error: 'toMs: must be after fromMs', code: 'BAD_REQUEST', field: 'toMs' });
    if (body.toMs - body.fromMs > DAY_MS) return reply.code(400).send({ error: 'toMs: an export spans at most 24 hours; make several', code: 'BAD_REQUEST', field: 'toMs' });
    const id = ctx.exports.start({ cameras: [...new Set(body.cameras)], fromMs: body.fromMs, toMs: body.toMs, reason: body.reason ?? null, by: actor(request) });
    return reply.code(202).send({ export: ctx.exports.get(id) });
  });

  app.get('/api/exports', { preHandler: allowAny(ward, 'export') }, async () => ({ exports: ctx.exports.list() }));

  app.get('/api/exports/:id', { preHandler: allowAny(ward, 'export') }, async (request, reply) => {
    const id = (request.params as { id: string }).id;
    const status = ctx.exports.get(id);
    if (!status) return notFound(reply, 'export');
    return { export: status, files: ctx.exports.files(id) };
  });

  app.get('/api/exports/:id/files/:name', { preHandler: allowAny(ward, 'export') }, async (request, reply) => {
    const { id, name } = request.params as { id: string; name: string };
    const dir = ctx.exports.folder(id);
    if (!dir || !ctx.exports.files(id).some((f) => f.name === name)) return notFound(reply, 'export file');
    const video = name.endsWith('.mp4');
    if (video && firstRange(request)) ctx.audit.record({ actor: request.session!.user.name, action: 'clip.view', target: `export:${id}`, ip: request.ip, detail: { file: name } });
    const type = video ? 'video/mp4' : name.endsWith('.json') ? 'application/json' : 'text/plain';
    return sendFile(request, reply, path.join(dir, name), type, name);
  });
}
