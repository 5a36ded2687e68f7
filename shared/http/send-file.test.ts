import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileSize, fileUnder, sendFile } from './send-file.js';

const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
let dir: string;
let app: FastifyInstance;
let base: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ww-send-file-'));
  writeFileSync(path.join(dir, 'clip.mp4'), bytes);
  app = Fastify();
  app.get('/file/:name', async (request, reply) => {
    const file = fileUnder(dir, (request.params as { name: string }).name);
    const size = file === undefined ? undefined : await fileSize(file);
    if (!file || size === undefined) return reply.code(404).send({ error: 'no such file', code: 'NOT_FOUND' });
    return sendFile(reply, { file, size, type: 'video/mp4', range: request.headers.range, downloadName: (request.query as { as?: string }).as });
  });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('sendFile', () => {
  it.each([
    ['no Range: the whole file', undefined, 200, undefined, bytes],
    ['a slice', 'bytes=100-199', 206, 'bytes 100-199/1000', bytes.subarray(100, 200)],
    ['a suffix', 'bytes=-10', 206, 'bytes 990-999/1000', bytes.subarray(990)],
    ['several ranges: the whole file', 'bytes=0-1,5-6', 200, undefined, bytes],
  ])('%s', async (_name, range, status, contentRange, body) => {
    const r = await fetch(`${base}/file/clip.mp4`, { headers: range ? { range } : {} });
    expect(r.status).toBe(status);
    expect(r.headers.get('accept-ranges')).toBe('bytes');
    expect(r.headers.get('content-type')).toBe('video/mp4');
    expect(r.headers.get('content-range') ?? undefined).toBe(contentRange);
    expect(Buffer.from(await r.arrayBuffer()).equals(body)).toBe(true);
  });

  it.each([
    ["starting past the end", "bytes=1000-"],
    ['an end before its start (RFC 9110)', 'bytes=500-100'],
  ])('answers 416 with the size and a JSON error to a range %s', async (_name, range) => {
    const r = await fetch(`${base}/file/clip.mp4`, { headers: { range } });
    expect(r.status).toBe(416);
    expect(r.headers.get('content-range')).toBe('bytes */1000');
    expect(await r.json()).toEqual({ error: 'range: not satisfiable for 1000 bytes', code: 'RANGE', field: 'range' });
  });

  it('offers a download under a safe name', async () => {
    const r = await fetch(`${base}/file/clip.mp4?as=${encodeURIComponent('cam 1"; x.mp4')}`);
    expect(r.headers.get('content-disposition')).toBe('attachment; filename="cam_1___x.mp4"');
    await r.arrayBuffer();
  });

  it('tells a HEAD the size without the bytes', async () => {
    const r = await fetch(`${base}/file/clip.mp4`, { method: 'HEAD' });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-length')).toBe('1000');
  });
});

describe('fileUnder', () => {
  it.each([
    ['a file in the root', 'clips/a.mp4', '/srv/ww/clips/a.mp4'],
    ['a way out of the root', '../etc/passwd', undefined],
    ['an absolute path elsewhere', '/etc/passwd', undefined],
    ['the root itself', '.', undefined],
    ['nothing stored', null, undefined],
    ['an empty path', '', undefined],
  ])('%s', (_name, relative, expected) => {
    expect(fileUnder('/srv/ww', relative)).toBe(expected);
  });
});
