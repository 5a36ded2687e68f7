// The OpenAPI 3.1 description of the hub's HTTP API, built from the route table's zod schemas.
import { z } from 'zod';
import type { RouteDoc } from '../../shared/http/index.js';

type Json = Record<string, unknown>;

function jsonSchema(schema: z.ZodType): Json {
  const s = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;
  delete s.$schema;
  return s;
}

function parameters(schema: z.ZodType | undefined, where: 'query' | 'path'): Json[] {
  if (!schema) return [];
  const s = jsonSchema(schema) as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(s.properties ?? {}).map(([name, prop]) => {
    const { description, ...rest } = prop;
    return { name, in: where, required: where === 'path' || (s.required ?? []).includes(name), ...(description ? { description } : {}), schema: rest };
  });
}

const AUTH_TEXT: Record<string, string> = {
  public: 'no login',
  token: 'no login; the signed token in the path is the authority',
  session: 'any logged-in user',
};

export function buildOpenApi(docs: readonly RouteDoc[], info: { title: string; version: string }): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const d of docs) {
    const p = d.url.replace(/:([A-Za-z]+)/g, '{$1}');
    const auth = AUTH_TEXT[d.auth] ?? `permission \`${d.auth}\``;
    const responses: Record<string, Json> = {};
    for (const [status, description] of Object.entries(d.responses)) {
      const type = d.produces?.[Number(status)] ?? 'application/json';
      responses[status] = { description, content: { [type]: {} } };
    }
    const op: Json = {
      summary: d.summary,
      description: `Access: ${auth}.`,
      tags: [d.tag],
      parameters: [...parameters(d.params, 'path'), ...parameters(d.query, 'query')],
      responses,
      ...(d.auth === 'public' || d.auth === 'token' ? { security: [] } : {}),
    };
    if (d.method === 'POST') {
      op.requestBody = { required: false, content: { 'application/json': { schema: d.body ? jsonSchema(d.body) : { type: 'object', additionalProperties: false } } } };
      (op.parameters as Json[]).push({ name: 'x-csrf-token', in: 'header', required: d.auth !== 'public' && d.auth !== 'token', description: 'the csrfToken of POST /api/login or GET /api/session', schema: { type: 'string' } });
    }
    (paths[p] ??= {})[d.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: { ...info, description: 'District hub API: incidents, snapshots and clips (every view audited), the sighting search and follow (every search audited), counts and traffic indicators (JSON or CSV, for the operations centre), ward and camera health, sharing with the city. Errors are JSON {error, code, field?}.' },
    components: { securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: 'ww_session' } } },
    security: [{ session: [] }],
    paths,
  };
}
