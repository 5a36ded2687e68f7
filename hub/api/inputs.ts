// What the API accepts: zod schemas for path parameters, query strings and bodies, with messages that say the fix.
import { z } from 'zod';
import { COLOURS, ID_HINT, ID_PATTERN, LABELS, ULID_PATTERN } from '../../shared/contract/index.js';
import { BUCKETS } from './count-query.js';
import { decodeCursor } from './cursor.js';
import { MAX_PAGE } from './incident-query.js';
import { isTimeZone, machineTimeZone } from '../../shared/local-time.js';
import { MAX_SIGHTING_PAGE } from './sighting-query.js';

const id = (what: string) => z.string().regex(ID_PATTERN, { message: `not a ${what} id: ${ID_HINT}` });
/** An id in a JSON body, where a number or a null must be told apart from a badly spelt id. */
export const bodyId = (what: string) => z.string({ message: `must be a ${what} id` }).regex(ID_PATTERN, { message: `not a ${what} id: ${ID_HINT}` });
/** A ULID in a path (incidents, retrievals, relays). */
export const ulidParam = (what: string) => z.string().regex(ULID_PATTERN, { message: `must be a ${what} id (a ULID: 26 characters, 0-9 A-Z without I L O U)` });
/** `?limit=` from 1 to `max`. */
export const limitQuery = (max: number) => {
  const message = `must be a whole number from 1 to ${max}`;
  return z.string().regex(/^\d{1,3}$/, { message }).transform(Number).pipe(z.number().min(1, { message }).max(max, { message }));
};
const ms = (what: string) =>
  z
    .string()
    .regex(/^\d{1,15}$/, { message: `${what}: a time in milliseconds since the Unix epoch (digits only)` })
    .transform(Number);

/** `?cursor=`: the `next` of the previous page of a keyset listing. */
const cursorQuery = z
  .string()
  .transform((text, ctx) => {
    const c = decodeCursor(text);
    if (!c) {
      ctx.addIssue({ code: 'custom', message: 'not a cursor of this API: pass the `next` of the previous page unchanged' });
      return z.NEVER;
    }
    return c;
  })
  .optional()
  .describe('the `next` of the previous page');

const label = z.enum(LABELS, { message: `must be one of ${LABELS.join(', ')}` });
const needsWard = (q: { camera?: unknown; ward?: unknown }, ctx: z.RefinementCtx) => {
  if (q.camera !== undefined && q.ward === undefined) ctx.addIssue({ code: 'custom', path: ['camera'], message: 'give ward too: camera ids are unique within a ward only' });
};
const needsCamera = (q: { line?: unknown; camera?: unknown }, ctx: z.RefinementCtx) => {
  if (q.line !== undefined && q.camera === undefined) ctx.addIssue({ code: 'custom', path: ['line'], message: 'give ward and camera too: line ids are a camera\'s own' });
};
const toAfterFrom = (q: { from?: number | undefined; to?: number | undefined }, ctx: z.RefinementCtx) => {
  if (q.from !== undefined && q.to !== undefined && q.to <= q.from) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be later than from' });
};

export const incidentIdParams = z.strictObject({
  id: ulidParam('incident'),
});

export const listQuery = z
  .strictObject({
    ward: id('ward').optional().describe('ward id'),
    camera: id('camera').optional().describe('camera id (needs ward: camera ids are unique within a ward)'),
    label: z.enum(LABELS, { message: `must be one of ${LABELS.join(', ')}` }).optional(),
    from: ms('from').optional().describe('incidents that started at or after this time (ms)'),
    to: ms('to').optional().describe('incidents that started before this time (ms)'),
    zone: id('zone').optional().describe('incidents that entered this zone'),
    minScore: z
      .string()
      .regex(/^(0(\.\d{1,6})?|1(\.0{1,6})?|\.\d{1,6})$/, { message: 'must be a number from 0 to 1, e.g. 0.7' })
      .transform(Number)
      .optional()
      .describe('top score at least this'),
    forwarded: z.enum(['true', 'false'], { message: 'must be true or false' }).transform((v) => v === 'true').optional().describe('sent to the city (true) or not (false)'),
    limit: z
      .string()
      .regex(/^\d{1,4}$/, { message: `must be a whole number from 1 to ${MAX_PAGE}` })
      .transform(Number)
      .pipe(z.number().min(1, { message: `must be a whole number from 1 to ${MAX_PAGE}` }).max(MAX_PAGE, { message: `must be a whole number from 1 to ${MAX_PAGE}` }))
      .optional()
      .describe(`page size, default 50, at most ${MAX_PAGE}`),
    cursor: cursorQuery,
  })
  .superRefine((q, ctx) => {
    needsWard(q, ctx);
    toAfterFrom(q, ctx);
  });

export const sightingIdParams = z.strictObject({
  id: ulidParam('sighting'),
});

export const sightingsQuery = z
  .strictObject({
    ward: id('ward').optional().describe('ward id'),
    camera: id('camera').optional().describe('camera id (needs ward: camera ids are unique within a ward)'),
    label: label.optional(),
    colour: z.enum(COLOURS, { message: `must be one of ${COLOURS.join(', ')}` }).optional().describe('vehicle colour'),
    line: id('line').optional().describe('sightings that crossed this counting line (needs ward and camera); from/to then apply to the crossing time, and each result carries its crossing'),
    direction: z.enum(['forward', 'backward'], { message: 'must be forward or backward' }).optional().describe('with line: crossed in this direction'),
    from: ms('from').optional().describe('first seen at or after this time (ms); with line: crossed at or after'),
    to: ms('to').optional().describe('first seen before this time (ms); with line: crossed before'),
    limit: limitQuery(MAX_SIGHTING_PAGE).optional().describe(`page size, default 50, at most ${MAX_SIGHTING_PAGE}`),
    cursor: cursorQuery,
  })
  .superRefine((q, ctx) => {
    needsWard(q, ctx);
    needsCamera(q, ctx);
    if (q.direction !== undefined && q.line === undefined) ctx.addIssue({ code: 'custom', path: ['direction'], message: 'give line too: a direction is a line\'s' });
    toAfterFrom(q, ctx);
  });

export const countsQuery = z
  .strictObject({
    ward: id('ward').optional().describe('ward id; absent: every ward'),
    camera: id('camera').optional().describe('camera id (needs ward)'),
    line: id('line').optional().describe('one counting line (needs ward and camera)'),
    from: ms('from').describe('minutes at or after this time (ms)'),
    to: ms('to').describe('minutes before this time (ms)'),
    bucket: z.enum(BUCKETS, { message: `must be one of ${BUCKETS.join(', ')}` }).default('hour').describe('sum per minute, hour or day (default hour)'),
    timeZone: z
      .string()
      .max(64)
      .refine(isTimeZone, { message: 'not a time zone this hub knows: give an IANA name such as Asia/Ho_Chi_Minh' })
      .optional()
      .describe('IANA time zone whose hours and days the buckets follow; default: the hub machine\'s'),
  })
  .superRefine((q, ctx) => {
    needsWard(q, ctx);
    needsCamera(q, ctx);
    toAfterFrom(q, ctx);
  })
  .transform((q) => ({ ...q, timeZone: q.timeZone ?? machineTimeZone() }));

export const snapshotQuery = z.strictObject({
  size: z.enum(['full', 'thumb'], { message: 'must be full or thumb' }).optional().describe('thumb: 320 pixels wide, for lists'),
});

export const shareBody = z.strictObject({
  unblurred: z.boolean({ message: 'must be true or false' }).optional().describe('send the snapshot without blurring people (audited)'),
  note: z.string({ message: 'must be text' }).max(1000, { message: 'at most 1000 characters' }).optional().describe('a note for the city'),
});

/**
 * Dead letter keys: `<incident>:<target>`, `<incident>:<target>:unblurred` or `recording:<retrieval>:<target>`
 * (hub/forward/outbox.ts alertKey, recordingAlertKey).
 */
export const DEAD_LETTER_KEY = /^(?:[0-9A-HJKMNP-TV-Z]{26}:[a-z0-9][a-z0-9_-]{0,31}(:unblurred)?|recording:[0-9A-HJKMNP-TV-Z]{26}:[a-z0-9][a-z0-9_-]{0,31})$/;

export const deadLetterParams = z.strictObject({
  key: z.string().regex(DEAD_LETTER_KEY, { message: 'must be a dead letter key: <incident id>:<target>[:unblurred] or recording:<retrieval id>:<target>' }),
});

export const deadLettersQuery = z.strictObject({
  limit: limitQuery(500).optional(),
  before: ms('before').optional().describe('dead letters that died before this time (ms), for paging'),
});

export const wardParams = z.strictObject({ ward: id('ward') });

export const shareTokenParams = z.strictObject({
  token: z.string().min(1).max(600).regex(/^[A-Za-z0-9_.-]+$/, { message: 'not a share link' }),
});

// the shared session plugin's routes (shared/http/sessions.ts), described here for the OpenAPI document
export const loginBody = z.strictObject({ name: z.string().min(1).max(64), password: z.string().min(1).max(1024) });
export const passwordBody = z.strictObject({ current: z.string().min(1).max(1024), next: z.string().max(1024).describe('at least 8 characters with a letter and a digit') });
