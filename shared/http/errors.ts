// The error answer of both servers: JSON `{ error, code, field? }` — a message a person can act on, a stable code,
// and the field to fix when there is one. Never a stack trace: a failure is logged, and answered by a pointer to the log.
import type { FastifyError, FastifyInstance } from 'fastify';
import type { Logger } from '../log.js';

export interface ErrorAnswer {
  error: string;
  code: string;
  field?: string;
}

/** The answer to an error thrown before or in a handler (Fastify's own refusals of a body, a failure): `status` is 4xx or 500. */
export function errorAnswer(status: number, message: string, code: string | undefined, logWhere: string): ErrorAnswer {
  if (status === 400) return { error: `body: ${message}`, code: 'BAD_REQUEST', field: 'body' };
  if (status === 415) return { error: 'send JSON (Content-Type: application/json)', code: 'MEDIA_TYPE', field: 'body' };
  if (status === 413) return { error: 'body too large', code: 'TOO_LARGE', field: 'body' };
  if (status < 500) return { error: message, code: code ?? 'ERROR' };
  return { error: `internal error: see ${logWhere}`, code: 'INTERNAL' };
}

export interface ErrorAnswersOptions {
  /** where a failure (5xx) is logged, with its stack */
  logger: Logger;
  /** what the answer to a failure points to: "the hub log", "the box log" */
  logWhere: string;
}

/** Sets `app`'s error handler and its answer to an unknown route (404 naming it). */
export function errorAnswers(app: FastifyInstance, { logger, logWhere }: ErrorAnswersOptions): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    // strings, so the logger's URL redaction sees them (an ffmpeg error can quote a camera's URL)
    if (status === 500) logger.error({ err: err.message, stack: err.stack, url: request.url }, 'request failed');
    return reply.code(status).send(errorAnswer(status, err.message, err.code, logWhere));
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: `no such route: ${request.method} ${request.url.split('?')[0]!.slice(0, 200)}`, code: 'NOT_FOUND' }),
  );
}
