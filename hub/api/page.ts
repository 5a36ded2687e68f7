// The operator page: static HTML, CSS and plain JS modules from hub/api/page/, served as they are (no build).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { packageRoot } from '../../shared/package.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** The page's files, read once at start: a fixed list, so no request path ever reaches the file system. */
export const PAGE_FILES = ['index.html', 'app.js', 'api.js', 'i18n.js', 'views.js', 'retrievals.js', 'live.js', 'style.css'] as const;

// scripts only from the hub itself, no inline script; pictures and video from the hub's API
const CSP = "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

export function pageRoutes(app: FastifyInstance, dir = path.join(packageRoot(), 'hub', 'api', 'page')): void {
  for (const name of PAGE_FILES) {
    const body = readFileSync(path.join(dir, name));
    const type = TYPES[path.extname(name)]!;
    const url = name === 'index.html' ? '/' : `/${name}`;
    app.get(url, async (_req, reply) =>
      reply
        .header('content-type', type)
        .header('cache-control', 'no-cache')
        .header('content-security-policy', CSP)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        .send(body),
    );
  }
}
