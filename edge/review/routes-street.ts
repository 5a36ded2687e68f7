// A camera's street: its zones, counting lines and alert rules, and what crossed its lines today (the box's time zone).
import { z } from 'zod';
import type { RouteTable } from '../../shared/http/index.js';
import { localDay } from '../../shared/local-time.js';
import type { ReviewCamera, ReviewContext } from './context.js';

const streetQuery = z.strictObject({ camera: z.string().min(1).max(64) });

/** What the page draws and lists: every field of a rule present, null where edge.yaml leaves it out (labels: all). */
function layoutOf(cam: ReviewCamera) {
  return {
    lines: (cam.lines ?? []).map(({ id, name, points, directions }) => ({ id, name, points, directions })),
    zones: (cam.zones ?? []).map(({ id, polygon }) => ({ id, polygon })),
    alerts: (cam.alerts ?? []).map((a) => ({
      id: a.id,
      kind: a.kind,
      labels: a.labels ?? null,
      zone: a.zone ?? null,
      line: a.line ?? null,
      direction: a.direction ?? null,
      seconds: a.seconds ?? null,
      count: a.count ?? null,
      hours: a.hours ?? null,
    })),
  };
}

export function streetRoutes(routes: RouteTable, ctx: ReviewContext): void {
  // counts are not about anyone, and the events list is not audited either: no audit record
  routes.add(
    {
      method: 'GET',
      url: '/api/street',
      summary: "A camera's zones, counting lines and alert rules, today's counts (the box's day) and its detection figures",
      tag: 'street',
      auth: 'events',
      query: streetQuery,
      responses: { 200: '{ camera, lines, zones, alerts, today, detection }', 400: 'no camera', 404: 'the camera is not in this ward' },
    },
    async (_request, reply, { query: q }) => {
      const cam = ctx.cameras.find((c) => c.id === q.camera);
      if (!cam) return reply.code(404).send({ error: `camera "${q.camera}" is not in this ward (GET /api/box lists its cameras)`, code: 'NOT_FOUND', field: 'camera' });
      const { from, to } = localDay(ctx.clock(), ctx.timeZone);
      return {
        camera: cam.id,
        ...layoutOf(cam),
        today: { from, counts: ctx.counts.totals(cam.id, from, to), byHour: ctx.counts.byHour(cam.id, from, to) },
        detection: ctx.detection?.(cam.id) ?? null,
      };
    },
  );
}
