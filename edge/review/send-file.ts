// Serves a file with one HTTP byte range (what <video> asks for to seek), or whole.
import { createReadStream, statSync } from 'node:fs';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** `bytes=a-b` → [start, end] inclusive, or undefined for no/unsupported range; 'bad' when unsatisfiable. */
export function parseRange(header: string | undefined, size: number): [number, number] | 'bad' | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start > end || start >= size) return 'bad';
  return [start, end];
}

export function sendFile(request: FastifyRequest, reply: FastifyReply, file: string, contentType: string, downloadName?: string): FastifyReply {
  const size = statSync(file).size;
  void reply.header('accept-ranges', 'bytes').type(contentType);
  if (downloadName) void reply.header('content-disposition', `attachment; filename="${downloadName.replace(/[^A-Za-z0-9._-]/g, '_')}"`);
  const range = parseRange(request.headers.range, size);
  if (range === 'bad') return reply.code(416).header('content-range', `bytes */${size}`).send();
  if (!range) return reply.header('content-length', size).send(createReadStream(file));
  const [start, end] = range;
  return reply
    .code(206)
    .header('content-range', `bytes ${start}-${end}/${size}`)
    .header('content-length', end - start + 1)
    .send(createReadStream(file, { start, end }));
}
