// The operator page: static HTML, CSS and plain JS modules from hub/api/page/, served as they are (no build).
import { createRequire } from 'node:module';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { MSE_APPENDER, servePageFiles, ZONE_TIME } from '../../shared/http/index.js';
import { packageRoot } from '../../shared/package.js';

/** The page's files: a fixed list (shared/http/page-files.ts reads each once). */
export const PAGE_FILES = ['index.html', 'app.js', 'api.js', 'i18n.js', 'views.js', 'retrievals.js', 'live.js', 'search.js', 'dashboard.js', 'city.js', 'style.css'] as const;

/** The dashboard's charts: Chart.js (MIT), served by the hub itself from its npm package, never from a CDN. */
export const CHART_JS = { url: '/chart.umd.min.js', file: path.join(path.dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js') };

// scripts only from the hub itself, no inline script; pictures and video from the hub's API
const CSP = "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

export function pageRoutes(app: FastifyInstance, dir = path.join(packageRoot(), 'hub', 'api', 'page')): void {
  const files = PAGE_FILES.map((name) => ({ url: name === 'index.html' ? '/' : `/${name}`, file: path.join(dir, name) }));
  servePageFiles(app, [...files, MSE_APPENDER, ZONE_TIME, CHART_JS], {
    'cache-control': 'no-cache',
    'content-security-policy': CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
}
