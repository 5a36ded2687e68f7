// /api/wards: every ward's health with its cameras, for the health board (polled every few seconds).
import type { ApiContext } from './context.js';
import { wardHealth, type CameraRow, type WardRow } from './health.js';
import { wardParams } from './inputs.js';
import type { RouteTable } from '../../shared/http/index.js';

export function healthRoutes(routes: RouteTable, ctx: ApiContext): void {
  const { db } = ctx.store;
  const wardSql = `SELECT w.id, w.name, w.last_seen_at, s.state, s.status, s.updated_at FROM wards w LEFT JOIN ward_status s ON s.ward = w.id`;
  const allWards = db.prepare<[], WardRow>(`${wardSql} ORDER BY w.id`);
  const oneWard = db.prepare<[string], WardRow>(`${wardSql} WHERE w.id = ?`);
  // cameras known from events or statuses (the cameras table), and any with a status only
  const cameraSql = `SELECT c.ward, c.camera, c.last_seen_at, s.state, s.status, s.updated_at
    FROM cameras c LEFT JOIN camera_status s ON s.ward = c.ward AND s.camera = c.camera`;
  const allCameras = db.prepare<[], CameraRow>(`${cameraSql} ORDER BY c.ward, c.camera`);
  const wardCameras = db.prepare<[string], CameraRow>(`${cameraSql} WHERE c.ward = ? ORDER BY c.camera`);

  routes.add(
    {
      method: 'GET',
      url: '/api/wards',
      summary: 'Every ward: online (from its retained status), disk, outbox depth, last seen, box clock, and its cameras (recording or not, clock skew); the zone the page shows times in',
      tag: 'health',
      auth: 'health',
      responses: { 200: '{ wards: WardHealth[], at, timeZone }', 401: 'not logged in', 403: 'not allowed' },
    },
    async () => {
      const now = ctx.clock();
      const byWard = new Map<string, CameraRow[]>();
      for (const c of allCameras.all()) (byWard.get(c.ward) ?? byWard.set(c.ward, []).get(c.ward)!).push(c);
      return { wards: allWards.all().map((w) => wardHealth(w, byWard.get(w.id) ?? [], now)), at: now, timeZone: ctx.timeZone };
    },
  );

  routes.add(
    {
      method: 'GET',
      url: '/api/wards/:ward',
      summary: 'One ward and its cameras',
      tag: 'health',
      auth: 'health',
      params: wardParams,
      responses: { 200: 'WardHealth', 400: 'not a ward id', 404: 'no such ward' },
    },
    async (_req, reply, { params }) => {
      const w = oneWard.get(params.ward);
      if (!w) return reply.code(404).send({ error: `no ward ${params.ward}`, code: 'NOT_FOUND' });
      return wardHealth(w, wardCameras.all(params.ward), ctx.clock());
    },
  );
}
