// One way to add a route, on the box and at the hub: its zod schemas check the input (400 naming the field, params
// first: a bad id is the most useful thing to name) and describe it (the hub's OpenAPI document is built from
// `docs`), so a document cannot leave a route out or tell a different story about its input. Who may call it is
// part of the spec, checked before anything else.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Permission } from '../accounts/index.js';
import { parseBody } from './body.js';
import { requirePermission } from './guards.js';

/** public: anyone who reaches the port; session: any logged-in user; token: the signed token in the path; or the permission the route needs (given several, any of them) */
export type Auth = 'public' | 'session' | 'token' | Permission | readonly Permission[];

const EMPTY = z.strictObject({});
type Empty = typeof EMPTY;

export interface RouteSpec<Q extends z.ZodType, P extends z.ZodType, B extends z.ZodType> {
  method: 'GET' | 'POST';
  /** Fastify syntax: /api/incidents/:id */
  url: string;
  summary: string;
  tag: string;
  auth: Auth;
  /** absent: no query field (any is refused); the same for params (a route with `:id` names it) and body */
  query?: Q;
  params?: P;
  body?: B;
  /** status → what it means; content types other than JSON by status */
  responses: Record<number, string>;
  produces?: Record<number, string>;
  /** false: state-changing requests without the CSRF header (none of ours; the city's link is a GET) */
  csrf?: false;
}

export interface RouteDoc {
  method: string;
  url: string;
  summary: string;
  tag: string;
  /** public, session, token, or the permission (several: `a or b`) */
  auth: string;
  query?: z.ZodType | undefined;
  params?: z.ZodType | undefined;
  body?: z.ZodType | undefined;
  responses: Record<number, string>;
  produces?: Record<number, string> | undefined;
}

export interface Input<Q extends z.ZodType, P extends z.ZodType, B extends z.ZodType> {
  query: z.output<Q>;
  params: z.output<P>;
  body: z.output<B>;
}

export type Handler<Q extends z.ZodType, P extends z.ZodType, B extends z.ZodType> = (
  request: FastifyRequest,
  reply: FastifyReply,
  input: Input<Q, P, B>,
) => Promise<unknown>;

export interface RouteTableOptions {
  /** the ward a ward-scoped permission is checked against (the box: its own ward); absent: the account's role alone */
  wardOf?: ((request: FastifyRequest) => string | undefined) | undefined;
}

export class RouteTable {
  readonly docs: RouteDoc[] = [];
  private readonly app: FastifyInstance;
  private readonly wardOf: RouteTableOptions['wardOf'];

  constructor(app: FastifyInstance, { wardOf }: RouteTableOptions = {}) {
    this.app = app;
    this.wardOf = wardOf;
  }

  add<Q extends z.ZodType = Empty, P extends z.ZodType = Empty, B extends z.ZodType = Empty>(spec: RouteSpec<Q, P, B>, handler: Handler<Q, P, B>): void {
    this.docs.push({ method: spec.method, url: spec.url, summary: spec.summary, tag: spec.tag, auth: typeof spec.auth === 'string' ? spec.auth : spec.auth.join(' or '), query: spec.query, params: spec.params, body: spec.body, responses: spec.responses, produces: spec.produces });
    const guard = spec.auth === 'public' || spec.auth === 'token' || spec.auth === 'session' ? undefined : requirePermission(spec.auth, this.wardOf);
    this.app.route({
      method: spec.method,
      url: spec.url,
      ...(guard ? { preHandler: guard } : {}),
      ...(spec.csrf === false ? { config: { csrf: false } } : {}),
      handler: async (request, reply) => {
        if (spec.auth === 'session' && !request.session) return reply.code(401).send({ error: 'log in first (POST /api/login)', code: 'LOGIN' });
        const params = parseBody(spec.params ?? EMPTY, request.params ?? {});
        if (!params.ok) return reply.code(400).send(params.answer);
        const query = parseBody(spec.query ?? EMPTY, request.query ?? {});
        if (!query.ok) return reply.code(400).send(query.answer);
        let body: unknown = {};
        if (spec.method === 'POST') {
          const parsed = parseBody(spec.body ?? EMPTY, request.body ?? {});
          if (!parsed.ok) return reply.code(400).send(parsed.answer);
          body = parsed.value;
        }
        return handler(request, reply, { query: query.value, params: params.value, body } as Input<Q, P, B>);
      },
    });
  }
}
