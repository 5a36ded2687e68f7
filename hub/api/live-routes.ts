// Live view through the hub: POST /api/live opens a relay (audited live.view) and sends cmd/live to the ward;
// GET /relay/:relayId is the ward's WebSocket (token, once); GET /api/live/:relayId the operators' (MSE player).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { requirePermission, type RouteTable } from '../../shared/http/index.js';
import type { LiveRelays } from '../live/relays.js';
import { bodyId, ulidParam } from './inputs.js';


export const liveBody = z.strictObject({
  ward: bodyId('ward'),
  camera: bodyId('camera'),
  stream: z.enum(['main', 'sub'], { message: 'must be "main" or "sub"' }).default('sub').describe('which stream of the camera (default sub)'),
});

export const relayParams = z.strictObject({
  relayId: ulidParam('relay'),
});

export function liveRoutes(app: FastifyInstance, routes: RouteTable, live: LiveRelays): void {
  routes.add(
    {
      method: 'POST',
      url: '/api/live',
      summary: 'Watch a ward camera live: opens a relay and asks the ward to push the stream to it (audited live.view); then open the WebSocket GET /api/live/{relayId}',
      tag: 'live',
      auth: 'incidents',
      body: liveBody,
      responses: { 201: '{ relayId }', 400: 'unknown ward or camera (`field` names it)', 403: 'not an operator, or CSRF', 409: 'the ward is offline', 429: 'the ward already sends as many live views as allowed (remoteAccess.maxRelaysPerWard)' },
    },
    async (req, reply, { body }) => {
      const r = await live.open({ ...body, by: req.session!.user.name, ip: req.ip, origin: `${req.protocol}://${req.host}` });
      if (!r.ok) return reply.code(r.status).send({ error: `${r.field}: ${r.error}`, code: r.code, field: r.field });
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
    responses: { 101: 'switching to WebSocket', 401: 'not logged in', 403: 'not an operator' },
  });
  app.get('/api/live/:relayId', { websocket: true, preHandler: requirePermission('incidents') }, (socket, req) => {
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
