// Live view through the hub: POST /api/live opens a relay (audited live.view) and sends cmd/live to the ward;
// GET /relay/:relayId is the ward's WebSocket (token, once); GET /api/live/:relayId the operators' (MSE player).
// A city account may open and watch a relay of a camera the city is granted live (hub/city/; audited city.live).
import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import { z } from 'zod';
import { can } from '../../shared/accounts/index.js';
import { requirePermission, type RouteTable } from '../../shared/http/index.js';
import type { CityParts } from '../city/viewers.js';
import type { LiveRelays } from '../live/relays.js';
import { refuseUnless } from './city-routes.js';
import { bodyId, ulidParam } from './inputs.js';


export const liveBody = z.strictObject({
  ward: bodyId('ward'),
  camera: bodyId('camera'),
  stream: z.enum(['main', 'sub'], { message: 'must be "main" or "sub"' }).default('sub').describe('which stream of the camera (default sub)'),
});

export const relayParams = z.strictObject({
  relayId: ulidParam('relay'),
});

export function liveRoutes(app: FastifyInstance, routes: RouteTable, live: LiveRelays, city?: CityParts): void {
  routes.add(
    {
      method: 'POST',
      url: '/api/live',
      summary: 'Watch a ward camera live: opens a relay and asks the ward to push the stream to it (audited live.view); then open the WebSocket GET /api/live/{relayId}. A city account: only a camera the city is granted live (audited city.live, naming the grant); its relay ends when the grant does',
      tag: 'live',
      auth: city ? 'session' : 'incidents',
      body: liveBody,
      responses: { 201: '{ relayId }', 400: 'unknown ward or camera (`field` names it)', 403: 'not an operator, a city account and the camera not granted to the city (the reason says why), or CSRF', 409: 'the ward is offline', 429: 'the ward already sends as many live views as allowed (remoteAccess.maxRelaysPerWard)' },
    },
    async (req, reply, { body }) => {
      const user = req.session!.user;
      let grantId: string | undefined;
      if (city) {
        if (refuseUnless(req, reply, ['incidents', 'city.view'])) return reply;
        if (!can(user, 'incidents')) {
          const access = await city.grants.check(body.ward, body.camera, 'live');
          if (!access.ok) return reply.code(403).send({ error: access.reason, code: 'NOT_GRANTED', field: 'camera' });
          grantId = access.grantId;
        }
      }
      const r = await live.open({ ...body, by: user.name, ip: req.ip, origin: `${req.protocol}://${req.host}` });
      if (!r.ok) return reply.code(r.status).send({ error: `${r.field}: ${r.error}`, code: r.code, field: r.field });
      if (city && grantId) await city.viewers.opening({ relayId: r.relayId, user: user.name, ward: body.ward, camera: body.camera, stream: body.stream, ip: req.ip, grantId });
      return reply.code(201).send({ relayId: r.relayId });
    },
  );

  routes.add(
    { method: 'GET', url: '/api/live', summary: 'Live relays open now: ward, camera, stream, viewers, whether the ward is connected', tag: 'live', auth: 'incidents', responses: { 200: '{ relays }' } },
    async () => ({ relays: live.list() }),
  );

  // WebSockets are not in the route table (it answers with JSON); their doc is added by hand
  routes.docs.push({
    method: 'GET',
    url: '/api/live/:relayId',
    summary: 'WebSocket: the relay\'s fragmented MP4 for Media Source Extensions. Text frames are JSON notes ({type:"init", codec} before the init segment, {type:"problem", code, message}); binary frames the init segment, then fragments from a keyframe',
    tag: 'live',
    auth: 'incidents',
    params: relayParams,
    responses: { 101: 'switching to WebSocket', 401: 'not logged in', 403: 'not an operator; a city account: a relay no city account opened, or the city\'s access to it ended' },
  });
  // operators watch any relay; a city account only a relay a city account opened, while the city may still see it
  const operators = requirePermission('incidents');
  const viewers: preHandlerAsyncHookHandler = async function (req, reply) {
    const user = req.session?.user;
    if (city && user && !user.mustChange && can(user, 'city.view')) {
      const relayId = (req.params as { relayId?: string }).relayId ?? '';
      await city.viewers.enforce();
      if (city.viewers.isCityRelay(relayId)) return undefined;
      return reply.code(403).send({ error: 'not allowed: this live view was not opened by the city, or the city\'s access to it ended', code: 'FORBIDDEN' });
    }
    return operators.call(this, req, reply);
  };
  app.get('/api/live/:relayId', { websocket: true, preHandler: viewers }, (socket, req) => {
    const params = relayParams.safeParse(req.params);
    if (!params.success) {
      socket.send(JSON.stringify({ type: 'problem', code: 'bad-request', message: 'relayId: must be a relay id (a ULID)' }));
      socket.close(1008);
      return;
    }
    live.watch(params.data.relayId, socket);
  });

  // the ward's side: authenticated by the relay's single-use token, not by a session
  app.get('/relay/:relayId', { websocket: true }, (socket, req) => {
    const params = relayParams.safeParse(req.params);
    if (!params.success || !live.attachEdge(params.data.relayId, req.headers.authorization, socket)) {
      req.log.warn({ url: req.url.slice(0, 80), ip: req.ip }, 'live relay connection refused: unknown relay, wrong or used token');
      socket.close(1008, 'refused');
    }
  });
}
