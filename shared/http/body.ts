// JSON request bodies checked by zod: the value, or a 400 answer that names the field and what it needs.
import type { z } from 'zod';

export interface BadRequest {
  error: string;
  code: 'BAD_REQUEST';
  field: string;
}

export type BodyResult<T> = { ok: true; value: T } | { ok: false; answer: BadRequest };

function bad(field: string, message: string): { ok: false; answer: BadRequest } {
  return { ok: false, answer: { error: `${field}: ${message}`, code: 'BAD_REQUEST', field } };
}

export function parseBody<S extends z.ZodType>(schema: S, body: unknown): BodyResult<z.output<S>> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return bad('body', 'send a JSON object (Content-Type: application/json)');
  const parsed = schema.safeParse(body);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') return bad(String(issue.keys[0]), 'unknown field');
  const field = issue.path.length ? issue.path.map(String).join('.') : 'body';
  const given = issue.path.length === 1 ? (body as Record<string, unknown>)[String(issue.path[0])] : body;
  return bad(field, given === undefined ? 'is required' : issue.message);
}
