// Sending a stored file (a clip, a snapshot, an export's file) with HTTP Range — 200, 206 or 416 — and finding it:
// a stored path never leads outside its root, whatever a db row holds. Both servers send their files through here.
import { createReadStream, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { parseRange, startsView } from './range.js';

/** The absolute path of `relative` under `root`, or undefined when there is none or it would leave the root. */
export function fileUnder(root: string, relative: string | null | undefined): string | undefined {
  if (!relative) return undefined;
  const base = path.resolve(root);
  const file = path.resolve(base, relative);
  return file.startsWith(base + path.sep) ? file : undefined;
}

/** The file's size, or undefined when it is not there (retention removed it) or is not a file. */
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

/** Whether this request begins a view of a file of `size` bytes: a GET (a HEAD shows nothing) without Range or from byte 0. */
export function beginsView(request: FastifyRequest, size: number): boolean {
  return request.method === 'GET' && startsView(request.headers.range, size);
}

export interface FileToSend {
  file: string;
  /** known to the caller, who had to find the file first (fileSize) */
  size: number;
  /** its content type */
  type: string;
  /** the request's Range header */
  range: string | undefined;
  /** offered as a download under this name (characters other than A-Z a-z 0-9 . _ - become _) */
  downloadName?: string | undefined;
}

/** Sends the file, honouring the request's Range: 200 whole, 206 the bytes asked for, 416 (JSON) a range it cannot serve. */
export function sendFile(reply: FastifyReply, { file, size, type, range, downloadName }: FileToSend): FastifyReply {
  const r = parseRange(range, size);
  void reply.header('accept-ranges', 'bytes');
  if (r.kind === 'unsatisfiable') {
    return reply
      .code(416)
      .header('content-type', 'application/json; charset=utf-8')
      .header('content-range', `bytes */${size}`)
      .send({ error: `range: not satisfiable for ${size} bytes`, code: 'RANGE', field: 'range' });
  }
  void reply.header('content-type', type);
  if (downloadName) void reply.header('content-disposition', `attachment; filename="${downloadName.replace(/[^A-Za-z0-9._-]/g, '_')}"`);
  if (r.kind === 'full') return reply.code(200).header('content-length', String(size)).send(createReadStream(file));
  return reply
    .code(206)
    .header('content-range', `bytes ${r.start}-${r.end}/${size}`)
    .header('content-length', String(r.end - r.start + 1))
    .send(createReadStream(file, { start: r.start, end: r.end }));
}
