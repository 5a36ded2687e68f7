// Recorded footage: GET /api/timeline/:camera (coverage, gaps with reasons, events, holds) and
// GET /api/playback/:camera?from= (one continuous fragmented MP4 from that moment to the next gap).
import { z } from 'zod';
import type { RouteTable } from '../../shared/http/index.js';
import { notFound, type ReviewContext } from './context.js';
import { segmentCodec, startPlayback } from './playback.js';
import { checkRange, coverageRuns, playbackPlan } from './timeline.js';

const DAY_MS = 86_400_000;
/** one playback request serves at most this much; the page asks for the rest when it gets there */
const PLAYBACK_MAX_MS = 60 * 60_000;

const ms = z.coerce.number().int().nonnegative();
const rangeQuery = z.strictObject({ from: ms, to: ms });
const playbackQuery = z.strictObject({ from: ms });
const cameraParams = z.strictObject({ camera: z.string() });

export function recordingRoutes(routes: RouteTable, ctx: ReviewContext): void {
  const cameraOf = (id: string) => ctx.cameras.find((c) => c.id === id);

  routes.add(
    {
      method: 'GET',
      url: '/api/timeline/:camera',
      summary: "A camera's recording over [from, to]: coverage, gaps with their reasons, alerts and holds",
      tag: 'recordings',
      auth: 'playback',
      params: cameraParams,
      query: rangeQuery,
      responses: { 200: '{ camera, from, to, now, coverage, gaps, events, holds }', 400: 'bad or too long a range (`field` names it)', 404: 'no such camera in this ward' },
    },
    async (_request, reply, { params, query: q }) => {
      const camera = cameraOf(params.camera);
      if (!camera) return notFound(reply, 'camera');
      const problem = checkRange(q.from, q.to, 2 * DAY_MS);
      if (problem) return reply.code(400).send({ error: problem, code: 'BAD_REQUEST', field: problem.split(':')[0] });
      const now = ctx.clock();
      const segments = ctx.store.segmentsInRange(camera.id, q.from, q.to);
      return {
        camera: camera.id,
        from: q.from,
        to: q.to,
        now,
        coverage: coverageRuns(segments).map((r) => ({ from: r.fromMs, to: r.toMs })),
        gaps: ctx.store.gaps(camera.id, q.from, q.to).map((g) => ({ from: g.fromMs, to: g.toMs ?? now, open: g.toMs === null, reason: g.reason })),
        events: ctx.events.list({ camera: camera.id, fromMs: q.from, toMs: q.to, limit: 500 }).map((e) => ({ id: e.id, label: e.label, start: e.start, end: e.end })),
        holds: ctx.holds.list({ camera: camera.id, fromMs: q.from, toMs: q.to }).map((h) => ({ id: h.id, from: h.fromMs, to: h.toMs })),
      };
    },
  );

  routes.add(
    {
      method: 'GET',
      url: '/api/playback/:camera',
      summary: 'One continuous fragmented MP4 of a camera from `from` to the next gap (at most an hour); audited playback.view',
      tag: 'recordings',
      auth: 'playback',
      params: cameraParams,
      query: playbackQuery,
      responses: { 200: 'fragmented MP4 (headers x-playback-start, -end, -offset, x-codec)', 400: 'bad from', 404: 'no such camera, or no recording from that moment on', 415: 'the recording is not H.264' },
      produces: { 200: 'video/mp4' },
    },
    async (request, reply, { params, query: q }) => {
      const camera = cameraOf(params.camera);
      if (!camera) return notFound(reply, 'camera');
      const plan = playbackPlan(ctx.store.segmentsInRange(camera.id, q.from, q.from + PLAYBACK_MAX_MS), q.from, PLAYBACK_MAX_MS);
      if (!plan) return reply.code(404).send({ error: 'no recording from that moment on', code: 'NO_RECORDING' });
      const codec = await segmentCodec(plan.segments[0]!.path).catch(() => undefined);
      if (codec?.kind !== 'h264') {
        return reply.code(415).send({ error: `this recording is ${codec?.mime ?? 'unreadable'}; the page plays H.264 only — export it and play it in a desktop player`, code: 'UNSUPPORTED_CODEC' });
      }
      const user = request.session!.user;
      ctx.audit.recordNow({ actor: user.name, action: 'playback.view', target: camera.id, ip: request.ip, detail: { fromMs: q.from } });
      const playback = await startPlayback(ctx.tools.ffmpeg.path, ctx.tmpDir, plan, ctx.logger);
      reply.raw.on('close', playback.close);
      playback.stream.on('end', playback.close);
      return reply
        .header('cache-control', 'no-store')
        .header('x-playback-start', String(plan.startMs))
        .header('x-playback-end', String(plan.endMs))
        .header('x-playback-offset', plan.offsetSeconds.toFixed(3))
        .header('x-codec', codec.mime)
        .type('video/mp4')
        .send(playback.stream);
    },
  );
}
