// The pages' static files (no build): each read once at start from a fixed list, so no request path ever reaches
// the file system, and served with the page's security headers. Both pages also get the shared MSE appender and
// the zone-time helpers.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { packageRoot } from '../package.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** The Media Source Extensions appender of both pages (shared/page/mse-appender.js). */
export const MSE_APPENDER = { url: '/mse-appender.js', file: path.join(packageRoot(), 'shared', 'page', 'mse-appender.js') };

/** Times in the page's time zone with their offset, and date boxes read in it (shared/page/zone-time.js). */
export const ZONE_TIME = { url: '/zone-time.js', file: path.join(packageRoot(), 'shared', 'page', 'zone-time.js') };

/** Serves `files` (URL → absolute path) with `headers` on every answer. */
export function servePageFiles(app: FastifyInstance, files: readonly { url: string; file: string }[], headers: Record<string, string>): void {
  for (const { url, file } of files) {
    const body = readFileSync(file);
    const type = TYPES[path.extname(file)];
    if (!type) throw new Error(`page file ${file}: no content type for ${path.extname(file)}`);
    app.get(url, async (_req, reply) => reply.headers({ 'content-type': type, ...headers }).send(body));
  }
}
