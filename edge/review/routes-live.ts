// GET /api/live/:camera?stream=sub|main (WebSocket): the camera's fragmented MP4 for Media Source Extensions.
// Text frames are JSON notes ({type:'init', codec, transcoded} before the init segment, {type:'problem'}),
// binary frames are the init segment and then media fragments.
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import { requirePermission } from '../../shared/http/index.js';
import type { ReviewContext } from './context.js';
import type { LiveViewer } from './live-streams.js';

/** A viewer further behind than this skips fragments until the next keyframe (a slow station link). */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

const liveQuery = z.strictObject({ stream: z.enum(['sub', 'main']).default('sub') });

/** Sends a live stream to one WebSocket, dropping to the next keyframe when the socket falls behind. */
export function socketViewer(socket: WebSocket): LiveViewer {
  let needKeyframe = true;
  return {
    init(codec, bytes, transcoded) {
      if (socket.readyState !== socket.OPEN) return;
      socket.send(JSON.stringify({ type: 'init', codec, transcoded }));
      socket.send(bytes);
      needKeyframe = true;
    },
    fragment(bytes, keyframe) {
      if (socket.readyState !== socket.OPEN) return;
      if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
        needKeyframe = true;
        return;
      }
      if (needKeyframe && !keyframe) return;
      needKeyframe = false;
      socket.send(bytes);
    },
    problem(code, message) {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify({ type: 'problem', code, message }));
    },
  };
}

/** A WebSocket, so not in the route table (it answers with JSON); the same guard as the table's routes. */
export function liveRoutes(app: FastifyInstance, ctx: ReviewContext): void {
  app.get('/api/live/:camera', { websocket: true, preHandler: requirePermission('live', () => ctx.ward.id) }, (socket, request) => {
    const { camera: id } = request.params as { camera: string };
    const camera = ctx.cameras.find((c) => c.id === id);
    const query = liveQuery.safeParse(request.query ?? {});
    if (!camera || !query.success) {
      socket.send(JSON.stringify({ type: 'problem', code: 'bad-request', message: camera ? 'stream: must be sub or main' : `camera "${id}" is not in this ward` }));
      socket.close(1008);
      return;
    }
    const stream = query.data.stream;
    const user = request.session!.user;
    ctx.audit.recordNow({ actor: user.name, action: 'live.view', target: camera.id, ip: request.ip, detail: { stream } });
    const leave = ctx.live.watch({ camera: camera.id, stream, url: stream === 'main' ? camera.mainUrl : camera.subUrl, loopFile: camera.loopFile === true }, socketViewer(socket));
    socket.on('close', leave);
    socket.on('error', () => socket.terminate());
  });
}
