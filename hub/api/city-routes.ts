// /api/city: the city's access (hub/city/). Operators and admins grant the city a ward or a camera for a while (live
// and/or recordings within a range) and revoke it; admins open and close city-wide emergency access; everyone logged
// in reads the emergency (the page's banner); the city reads its grants; operators see the city's current viewers.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { can, type Permission } from '../../shared/accounts/index.js';
import type { CityParts } from '../city/viewers.js';
import type { ApiContext } from './context.js';
import { bodyId, ulidParam } from './inputs.js';
import type { RouteTable } from '../../shared/http/index.js';

/** The longest grant and emergency the API opens: beyond, the operator grants again (and says why again). */
export const MAX_GRANT_MINUTES = 7 * 24 * 60;
export const MAX_EMERGENCY_HOURS = 72;

const ms = (what: string) => z.number({ message: `${what}: a time in milliseconds since the Unix epoch` }).int({ message: 'must be a whole number of milliseconds' }).min(0).max(8_640_000_000_000_000);
const reason = z.string({ message: 'say why (3–500 characters): it is shown to the city and kept in the audit log' }).trim()
  .min(3, { message: 'say why (at least 3 characters): it is shown to the city and kept in the audit log' }).max(500, { message: 'at most 500 characters' });

export const cityGrantBody = z.strictObject({
  ward: bodyId('ward'),
  camera: bodyId('camera').nullable().default(null).describe('one camera of the ward, or null for every camera of the ward'),
  minutes: z.number({ message: `a whole number of minutes from 1 to ${MAX_GRANT_MINUTES}` }).int({ message: 'must be a whole number of minutes' })
    .min(1, { message: `from 1 to ${MAX_GRANT_MINUTES} minutes` }).max(MAX_GRANT_MINUTES, { message: `from 1 to ${MAX_GRANT_MINUTES} minutes (a week): grant again after that` })
    .describe('how long the grant lasts, from now'),
  live: z.boolean({ message: 'true or false: may the city watch live' }).describe('live view (the hub page and RTSP)'),
  recordings: z.strictObject({ from: ms('recordings.from'), to: ms('recordings.to') }).nullable().default(null)
    .refine((r) => r === null || r.to > r.from, { message: 'recordings.to must be later than recordings.from', path: ['to'] })
    .describe('recordings the city may retrieve: [from, to) in ms, or null for none'),
  reason,
});

export const cityEmergencyBody = z.strictObject({
  hours: z.number({ message: `a number of hours, more than 0 and at most ${MAX_EMERGENCY_HOURS}` }).positive({ message: `more than 0 and at most ${MAX_EMERGENCY_HOURS} hours` })
    .max(MAX_EMERGENCY_HOURS, { message: `at most ${MAX_EMERGENCY_HOURS} hours: open it again after that` }).describe('how long, from now (a fraction is allowed: 0.5 is half an hour)'),
  reason,
});

export const cityGrantParams = z.strictObject({ id: ulidParam('grant') });

/**
 * For routes open to more than one permission (auth `session`): answers 403 unless the session may do one of
 * `permissions` (a must-change session may do none), as the single-permission guard would. True: answered.
 */
export function refuseUnless(req: FastifyRequest, reply: FastifyReply, permissions: readonly Permission[]): boolean {
  const user = req.session!.user;
  if (user.mustChange) {
    void reply.code(403).send({ error: 'change your initial password first (POST /api/password)', code: 'MUST_CHANGE' });
    return true;
  }
  if (permissions.length === 0 || permissions.some((p) => can(user, p))) return false;
  void reply.code(403).send({ error: `not allowed: ${permissions.join(' or ')}`, code: 'FORBIDDEN' });
  return true;
}

/** The emergency as the banner shows it: who opened it, why, until when. */
async function emergencyView(city: CityParts) {
  const e = await city.grants.emergency();
  return e ? { id: e.id, openedBy: e.grantedBy, reason: e.reason, startsAt: e.startsAt, endsAt: e.endsAt } : null;
}

export function cityRoutes(routes: RouteTable, city: CityParts, ctx: ApiContext): void {
  const { grants } = city;
  const wards = ctx.retrievals?.store;
  // the cameras the hub has heard of (events or statuses): what a whole-ward grant or an emergency covers
  const knownCameras = () => ctx.store.sql.all<{ ward: string; camera: string }>('SELECT ward, camera FROM cameras UNION SELECT ward, camera FROM camera_status ORDER BY 1, 2');
  const wardNames = () => ctx.store.sql.all<{ id: string; name: string }>('SELECT id, name FROM wards ORDER BY id');

  routes.add(
    { method: 'GET', url: '/api/city/emergency', summary: 'The city-wide emergency access in force, or null: every page shows it as a banner', tag: 'city', auth: 'session', responses: { 200: '{ emergency: { id, openedBy, reason, startsAt, endsAt } | null }', 401: 'not logged in' } },
    async (req, reply) => (refuseUnless(req, reply, []) ? reply : { emergency: await emergencyView(city) }),
  );

  routes.add(
    {
      method: 'GET',
      url: '/api/city/grants',
      summary: 'The city\'s grants and emergency access in force, soonest end first (operators, admins, and the city itself)',
      tag: 'city',
      auth: 'session',
      responses: { 200: '{ grants: [{ id, kind, ward, camera, live, recordings, startsAt, endsAt, reason, grantedBy, cameras: [{ ward, camera }] }], emergency, timeZone, now, wards (operators and admins: [{ id, name, cameras: [{ camera }] }], for the grant form) }', 403: 'neither an operator, an admin nor a city account' },
    },
    async (req, reply) => {
      if (refuseUnless(req, reply, ['city.grant', 'city.view'])) return reply;
      const known = await knownCameras();
      const list = (await grants.active()).map((g) => ({
        ...g,
        cameras: g.camera !== null && g.ward !== null ? [{ ward: g.ward, camera: g.camera }] : known.filter((c) => g.ward === null || c.ward === g.ward),
      }));
      const wardList = can(req.session!.user, 'city.grant')
        ? { wards: (await wardNames()).map((w) => ({ ...w, cameras: known.filter((c) => c.ward === w.id).map((c) => ({ camera: c.camera })) })) }
        : {};
      return { grants: list, emergency: await emergencyView(city), timeZone: ctx.timeZone, now: ctx.clock(), ...wardList };
    },
  );

  routes.add(
    {
      method: 'POST',
      url: '/api/city/grants',
      summary: 'Grant the city a ward or one camera for N minutes: live view, recordings within a range, or both, with a reason; audited city.grant',
      tag: 'city',
      auth: 'city.grant',
      body: cityGrantBody,
      responses: { 201: '{ id, endsAt }', 400: 'bad body, unknown ward or camera, neither live nor recordings (`field` names it)', 403: 'not an operator or admin, or CSRF' },
    },
    async (req, reply, { body }) => {
      if (wards && !(await wards.wardKnown(body.ward))) return reply.code(400).send({ error: 'ward: no such ward: use a ward id listed under wards in hub.yaml', code: 'UNKNOWN_WARD', field: 'ward' });
      if (wards && body.camera !== null && !(await wards.cameraKnown(body.ward, body.camera))) {
        return reply.code(400).send({ error: 'camera: this ward has never reported this camera: pick one of the ward\'s cameras, or none for the whole ward', code: 'UNKNOWN_CAMERA', field: 'camera' });
      }
      if (!body.live && !body.recordings) return reply.code(400).send({ error: 'live: grant live view, recordings (a range), or both', code: 'NOTHING_GRANTED', field: 'live' });
      const g = await grants.grant({ ...body, by: req.session!.user.name, ip: req.ip });
      return reply.code(201).send(g);
    },
  );

  routes.add(
    {
      method: 'POST',
      url: '/api/city/grants/:id/revoke',
      summary: 'Revoke a grant now (the city\'s live views of it end at once); audited city.revoke. An emergency is closed by an admin (POST /api/city/emergency/close)',
      tag: 'city',
      auth: 'city.grant',
      params: cityGrantParams,
      responses: { 200: '{ revoked: true }', 400: 'not a grant id', 403: 'not an operator or admin, an emergency (admins close it), or CSRF', 404: 'no such grant in force' },
    },
    async (req, reply, { params }) => {
      const g = await grants.get(params.id);
      if (g?.kind === 'emergency' && !can(req.session!.user, 'city.emergency')) return reply.code(403).send({ error: 'an emergency is closed by an admin', code: 'FORBIDDEN' });
      if (!(await grants.revoke(params.id, req.session!.user.name, req.ip))) return reply.code(404).send({ error: 'no such grant in force (it ended, was revoked, or never existed)', code: 'NOT_FOUND' });
      return { revoked: true };
    },
  );

  routes.add(
    {
      method: 'POST',
      url: '/api/city/emergency',
      summary: 'Open city-wide emergency access for N hours (every camera of every ward, live and recordings) with a reason; audited city.emergency.open',
      tag: 'city',
      auth: 'city.emergency',
      body: cityEmergencyBody,
      responses: { 201: '{ id, endsAt }', 400: 'bad hours or reason (`field` names it)', 403: 'not an admin, or CSRF', 409: 'an emergency is open already (close it first)' },
    },
    async (req, reply, { body }) => {
      const open = await grants.emergency();
      if (open) return reply.code(409).send({ error: `an emergency is open already (by ${open.grantedBy}, until ${new Date(open.endsAt).toISOString()}): close it first`, code: 'EMERGENCY_OPEN' });
      return reply.code(201).send(await grants.openEmergency({ ...body, by: req.session!.user.name, ip: req.ip }));
    },
  );

  routes.add(
    { method: 'POST', url: '/api/city/emergency/close', summary: 'Close the emergency access in force; audited city.emergency.close', tag: 'city', auth: 'city.emergency', responses: { 200: '{ closed: id }', 403: 'not an admin, or CSRF', 404: 'no emergency in force' } },
    async (req, reply) => {
      const open = await grants.emergency();
      if (!open || !(await grants.revoke(open.id, req.session!.user.name, req.ip))) return reply.code(404).send({ error: 'no emergency in force', code: 'NOT_FOUND' });
      return { closed: open.id };
    },
  );

  routes.add(
    {
      method: 'GET',
      url: '/api/city/viewers',
      summary: 'The city\'s current viewers: live relays opened by city accounts (via hub), and readers of the hub\'s RTSP (via rtsp)',
      tag: 'city',
      auth: 'city.grant',
      responses: { 200: '{ viewers: [{ user, ward, camera, stream, ip, since, via }] }', 403: 'not an operator or admin' },
    },
    async () => ({
      viewers: [...(await city.viewers.list()), ...(city.rtspReaders?.() ?? []).map((r) => ({ ...r, via: 'rtsp' as const }))].sort((a, b) => a.since - b.since),
    }),
  );
}
