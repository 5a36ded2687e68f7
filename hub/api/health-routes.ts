// /api/wards: every ward's health with its boxes and cameras, for the health board (polled every few seconds).
import type { ApiContext } from './context.js';
import { boxHealth, cameraHealth, wardHealth, type BoxRow, type CameraRow, type WardHealth } from './health.js';
import { wardParams } from './inputs.js';
import type { RouteTable } from '../../shared/http/index.js';
import { wardScope } from './officer-scope.js';

export function healthRoutes(routes: RouteTable, ctx: ApiContext): void {
  const { sql } = ctx.store;
  type WardRow = { id: string; name: string; last_seen_at: number | null };
  const wardSql = 'SELECT id, name, last_seen_at FROM wards';
  const boxSql = `SELECT b.id, b.ward, b.name, b.last_seen_at, s.state, s.status, s.updated_at FROM boxes b LEFT JOIN box_status s ON s.box_id = b.id`;
  // cameras known from events or statuses (the cameras table), and any with a status only
  const cameraSql = `SELECT c.ward, c.camera, c.box_id, c.last_seen_at, s.state, s.status, s.updated_at
    FROM cameras c LEFT JOIN camera_status s ON s.ward = c.ward AND s.camera = c.camera`;

  /** a ward from its boxes; a camera whose box is no longer listed under the ward shows with its state unknown */
  function health(ward: WardRow, boxes: readonly BoxRow[], cameras: readonly CameraRow[], now: number): WardHealth {
    const listed = new Set(boxes.map((b) => b.id));
    const ofBox = (id: string) => cameras.filter((c) => (c.box_id ?? ward.id) === id);
    const strays = cameras.filter((c) => !listed.has(c.box_id ?? ward.id));
    const ward_ = wardHealth(ward, boxes.map((b) => boxHealth(b, ofBox(b.id), now)));
    if (strays.length === 0) return ward_;
    const unknown = strays.map((c) => cameraHealth(c, false, now));
    return { ...ward_, cameras: [...ward_.cameras, ...unknown].sort((a, b) => a.camera.localeCompare(b.camera)) };
  }

  routes.add(
    {
      method: 'GET',
      url: '/api/wards',
      summary: 'Every ward (an officer: the own): online (from its boxes\' retained statuses), disk, outbox depth, last seen, box clock, its boxes each on its own, and its cameras (recording or not, clock skew); the zone the page shows times in',
      tag: 'health',
      auth: ['health', 'events'],
      responses: { 200: '{ wards: WardHealth[], at, timeZone }', 401: 'not logged in', 403: 'not allowed' },
    },
    async (req) => {
      const scope = wardScope(req);
      const now = ctx.clock();
      const group = <T extends { ward: string }>(rows: T[]) => {
        const by = new Map<string, T[]>();
        for (const r of rows) (by.get(r.ward) ?? by.set(r.ward, []).get(r.ward)!).push(r);
        return by;
      };
      const cameras = group(await sql.all<CameraRow>(`${cameraSql} ORDER BY c.ward, c.camera`));
      const boxes = group(await sql.all<BoxRow & { ward: string }>(`${boxSql} ORDER BY b.id`));
      const wards = (await sql.all<WardRow>(`${wardSql} ORDER BY id`)).filter((w) => scope === undefined || w.id === scope);
      return { wards: wards.map((w) => health(w, boxes.get(w.id) ?? [], cameras.get(w.id) ?? [], now)), at: now, timeZone: ctx.timeZone };
    },
  );

  routes.add(
    {
      method: 'GET',
      url: '/api/wards/:ward',
      summary: 'One ward, its boxes and its cameras (an officer: the own ward)',
      tag: 'health',
      auth: ['health', 'events'],
      params: wardParams,
      responses: { 200: 'WardHealth', 400: 'not a ward id', 404: 'no such ward' },
    },
    async (_req, reply, { params }) => {
      const w = await sql.get<WardRow>(`${wardSql} WHERE id = ?`, [params.ward]);
      if (!w) return reply.code(404).send({ error: `no ward ${params.ward}`, code: 'NOT_FOUND' });
      const boxes = await sql.all<BoxRow>(`${boxSql} WHERE b.ward = ? ORDER BY b.id`, [params.ward]);
      return health(w, boxes, await sql.all<CameraRow>(`${cameraSql} WHERE c.ward = ? ORDER BY c.camera`, [params.ward]), ctx.clock());
    },
  );
}
