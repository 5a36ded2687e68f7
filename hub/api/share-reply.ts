// The answer to an operator's share (of an incident or a retrieved recording): the forwarder's results, or its
// refusal as the HTTP status that fits it.
import type { FastifyReply } from 'fastify';
import { ForwardError } from '../forward/forwarder.js';
import type { ShareResult } from '../forward/outbox.js';

const FORWARD_STATUS: Record<ForwardError['code'], number> = {
  NOT_FOUND: 404,
  NOT_READY: 409,
  NO_TARGETS: 409,
  UNKNOWN_TARGET: 400,
  BAD_SHARE: 400,
  AUDIT_FAILED: 500,
  CLOSED: 503,
};

export async function shareReply(reply: FastifyReply, id: string, share: () => Promise<ShareResult[]>): Promise<unknown> {
  try {
    return { shared: id, results: await share() };
  } catch (err) {
    if (err instanceof ForwardError) return reply.code(FORWARD_STATUS[err.code]).send({ error: err.message, code: err.code });
    throw err;
  }
}
