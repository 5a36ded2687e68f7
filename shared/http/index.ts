// HTTP parts shared by the hub API and the ward box's review page: sessions, CSRF and Origin, guards, body checks,
// security headers, the pages' TLS.
export { parseBody, type BadRequest, type BodyResult } from './body.js';
export { readCookie, sessionCookie, type CookieOptions } from './cookies.js';
export { requirePermission, requireRole } from './guards.js';
export { securityHeaders } from './headers.js';
export { canonicalOrigin, originAllowed, type OriginCheck } from './origin.js';
export { MSE_APPENDER, servePageFiles, ZONE_TIME } from './page-files.js';
export { HSTS, PageTlsError, plainPageWarning, readPageTls, type PageTls, type PageTlsFiles, type PageTlsWhere } from './page-tls.js';
export { CSRF_HEADER, sessionPlugin, type SessionPluginOptions } from './sessions.js';
