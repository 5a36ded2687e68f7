// HTTP Range for clips (RFC 9110 §14): which bytes of a file one request asks for (pure), and serving them.
import { createReadStream, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { FastifyReply } from 'fastify';

export type RangeAnswer =
  | { kind: 'full' }
  | { kind: 'partial'; start: number; end: number }
  | { kind: 'unsatisfiable' };

/**
 * The byte range of a `Range` header for a file of `size` bytes. One range only: several ranges (which no
 * player sends for video) and headers that are not byte ranges get the whole file, as the RFC allows.
 */
export function parseRange(header: string | undefined, size: number): RangeAnswer {
  if (header === undefined) return { kind: 'full' };
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return { kind: 'full' };
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return { kind: 'full' };
  if (a === '') {
    // suffix: the last n bytes
    const n = Number(b);
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  // "bytes=500-100" is not a valid range: ignored, like any header we do not understand
  if (b !== '' && Number(b) < start) return { kind: 'full' };
  if (!Number.isSafeInteger(start) || start >= size) return { kind: 'unsatisfiable' };
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  return { kind: 'partial', start, end };
}

/** Whether this request begins a view (no Range, or from byte 0): the one request of a view that is audited. */
export function startsView(header: string | undefined, size: number): boolean {
  const r = parseRange(header, size);
  return r.kind === 'full' || (r.kind === 'partial' && r.start === 0);
}

/** The file's size, or undefined when it is not there (retention removed it). */
export async function fileSize(file: string): Promise<number | undefined> {
  let s: Stats;
  try {
    s = await stat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return s.isFile() ? s.size : undefined;
}

/** Sends `file` (size known) as `type`, honouring the request's Range: 200, 206 or 416. */
export function sendFileRange(reply: FastifyReply, file: string, size: number, type: string, rangeHeader: string | undefined): FastifyReply {
  const r = parseRange(rangeHeader, size);
  void reply.header('accept-ranges', 'bytes');
  if (r.kind === 'unsatisfiable') {
    return reply
      .code(416)
      .header('content-type', 'application/json; charset=utf-8').header('content-range', `bytes */${size}`).send({ error: `range: not satisfiable for ${size} bytes`, code: 'RANGE', field: 'range' });
  }
  void reply.header('content-type', type);
  if (r.kind === 'full') return reply.code(200).header('content-length', String(size)).send(createReadStream(file));
  return reply
    .code(206)
    .header('content-range', `bytes ${r.start}-${r.end}/${size}`)
    .header('content-length', String(r.end - r.start + 1))
    .send(createReadStream(file, { start: r.start, end: r.end }));
}
