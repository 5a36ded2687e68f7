import { describe, expect, it } from 'vitest';
import { errorAnswer } from './errors.js';

describe('errorAnswer', () => {
  it.each([
    ['a body that is not JSON', 400, 'Unexpected token', 'FST_ERR_CTP_INVALID_JSON', { error: 'body: Unexpected token', code: 'BAD_REQUEST', field: 'body' }],
    ['a body of another type', 415, 'Unsupported Media Type', 'FST_ERR_CTP_INVALID_MEDIA_TYPE', { error: 'send JSON (Content-Type: application/json)', code: 'MEDIA_TYPE', field: 'body' }],
    ['a body too large', 413, 'Request body is too large', 'FST_ERR_CTP_BODY_TOO_LARGE', { error: 'body too large', code: 'TOO_LARGE', field: 'body' }],
    ['another refusal keeps its message and code', 405, 'Method Not Allowed', 'FST_ERR_X', { error: 'Method Not Allowed', code: 'FST_ERR_X' }],
    ['a refusal without a code', 409, 'taken', undefined, { error: 'taken', code: 'ERROR' }],
    ['a failure points to the log, never its message', 500, 'SQLITE_CORRUPT at /var/lib/x', undefined, { error: 'internal error: see the box log', code: 'INTERNAL' }],
  ])('%s', (_name, status, message, code, expected) => {
    expect(errorAnswer(status, message, code, 'the box log')).toEqual(expected);
  });
});
