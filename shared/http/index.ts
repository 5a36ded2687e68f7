// The one HTTP layer of the hub API and the ward box's review page: the route table (zod inputs, field-named 400s,
// route docs), the error answer, Range and stored files, sessions, CSRF and Origin, guards, body checks, security
// headers, the pages' static files and TLS.
export { parseBody, type BadRequest, type BodyResult } from './body.js';
export { readCookie, sessionCookie, type CookieOptions } from './cookies.js';
export { errorAnswer, errorAnswers, type ErrorAnswer, type ErrorAnswersOptions } from './errors.js';
export { requirePermission, requireRole } from './guards.js';
export { securityHeaders } from './headers.js';
export { canonicalOrigin, originAllowed, type OriginCheck } from './origin.js';
export { MSE_APPENDER, servePageFiles, ZONE_TIME } from './page-files.js';
export { HSTS, PageTlsError, plainPageWarning, readPageTls, type PageTls, type PageTlsFiles, type PageTlsWhere } from './page-tls.js';
export { parseRange, startsView, type RangeAnswer } from './range.js';
export { RouteTable, type Auth, type Handler, type Input, type RouteDoc, type RouteSpec, type RouteTableOptions } from './route-table.js';
export { beginsView, fileSize, fileUnder, sendFile, type FileToSend } from './send-file.js';
export { CSRF_HEADER, sessionPlugin, type SessionPluginOptions } from './sessions.js';
