// GET /share/<token>: the city follows a signed, time-limited link to an incident's clip or a recording retrieved
// from a ward (Range supported). Each view is audited (the request without Range or from byte 0), actor `city`.
import { beginsView, fileSize, sendFile, type RouteTable } from '../../shared/http/index.js';
import { RetrievalStore } from '../retrieval/store.js';
import { resolveSharedClip } from '../share/shared-clip.js';
import { verifyClipLink } from '../share/link.js';
import type { ApiContext } from './context.js';
import { shareTokenParams } from './inputs.js';

export function shareRoute(routes: RouteTable, ctx: ApiContext): void {
  const recordings = ctx.retrievals?.store ?? new RetrievalStore(ctx.store.sql);
  routes.add(
    {
      method: 'GET',
      url: '/share/:token',
      summary: 'A shared clip or retrieved recording (MP4, Range supported) for as long as its signed link lasts',
      tag: 'share',
      auth: 'token',
      params: shareTokenParams,
      responses: { 200: 'the MP4', 206: 'the requested bytes', 403: 'forged, malformed or expired link', 404: 'incident, recording or clip gone', 410: 'clip removed by retention', 416: 'range not satisfiable', 503: 'clip not yet at the hub' },
      produces: { 200: 'video/mp4', 206: 'video/mp4' },
    },
    async (req, reply, { params }) => {
      const now = ctx.clock();
      // an expired link is refused like a forged one: the city needs a fresh share either way
      const v = verifyClipLink(params.token, now, ctx.linkKey);
      if (!v.ok) return reply.code(403).send({ error: `link ${v.reason}`, code: 'LINK' });
      const clip = await resolveSharedClip(ctx.store, recordings, params.token, now, ctx.linkKey);
      if (!clip.ok) return reply.code(clip.status).send({ error: clip.reason, code: 'CLIP' });
      const size = await fileSize(clip.file);
      if (size === undefined) return reply.code(410).send({ error: 'clip removed by retention', code: 'CLIP' });
      if (beginsView(req, size)) {
        await ctx.audit.record({ actor: 'city', action: 'share.open', target: clip.subject.id, ip: req.ip, detail: { via: 'share-link', subject: clip.subject.kind, ward: clip.ward, camera: clip.camera, linkExpiresAt: clip.expiresAt } });
      }
      void reply.header('cache-control', 'private, no-store');
      return sendFile(reply, { file: clip.file, size, type: 'video/mp4', range: req.headers.range });
    },
  );
}
