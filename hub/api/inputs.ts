// What the API accepts: zod schemas for path parameters, query strings and bodies, with messages that say the fix.
import { z } from 'zod';
import { COLOURS, ID_HINT, ID_PATTERN, LABELS, ULID_PATTERN } from '../../shared/contract/index.js';
import { BUCKETS } from './count-query.js';
import { decodeCursor } from '../store/cursor.js';
import { MAX_PAGE } from './incident-query.js';
import { isTimeZone, machineTimeZone } from '../../shared/local-time.js';
import { MAX_FOLLOW_MINUTES, MAX_FOLLOW_RADIUS_M } from '../search/follow.js';
import { DEFAULT_RADIUS_M, MAX_RADIUS_M, MAX_WINDOW_HOURS } from '../search/plan.js';
import { MAX_SEARCH_PAGE } from '../search/search.js';

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

/** A comma-separated list of values of a fixed set, each named when it is not one of them. */
const listOf = <T extends string>(what: string, values: readonly T[], max = values.length) =>
  z.string().transform((text, ctx) => {
    const items = [...new Set(text.split(',').map((v) => v.trim()).filter(Boolean))];
    const unknown = items.filter((v) => !values.includes(v as T));
    if (unknown.length) ctx.addIssue({ code: 'custom', message: `unknown ${what} ${unknown.map((u) => `"${u.slice(0, 32)}"`).join(', ')}: use ${values.join(', ')}` });
    else if (items.length === 0 || items.length > max) ctx.addIssue({ code: 'custom', message: `give 1 to ${max} ${what}s, separated by commas` });
    return items as T[];
  });

/** `ward/camera`: camera ids are unique within a ward only. */
const cameraRef = (text: string) => {
  const [ward, camera, ...rest] = text.split('/');
  return ward !== undefined && camera !== undefined && rest.length === 0 && ID_PATTERN.test(ward) && ID_PATTERN.test(camera) ? { ward, camera } : undefined;
};

const whole = (what: string, min: number, max: number) => {
  const message = `${what}: a whole number from ${min} to ${max}`;
  return z.string().regex(/^-?\d{1,6}$/, { message }).transform(Number).pipe(z.number().min(min, { message }).max(max, { message }));
};

export const sightingsQuery = z
  .strictObject({
    from: ms('from').describe('required: first seen at or after this time (ms); with line: crossed at or after'),
    to: ms('to').describe(`required: first seen before this time (ms); with line: crossed before. At most ${MAX_WINDOW_HOURS} h after from`),
    wards: z
      .string()
      .transform((text, ctx) => {
        const items = [...new Set(text.split(',').map((v) => v.trim()).filter(Boolean))];
        const bad = items.find((w) => !ID_PATTERN.test(w));
        if (bad !== undefined || items.length === 0 || items.length > 64) ctx.addIssue({ code: 'custom', message: `give ward ids separated by commas (${ID_HINT})` });
        return items;
      })
      .optional()
      .describe('wards, comma-separated: every camera of each'),
    cameras: z
      .string()
      .transform((text, ctx) => {
        const items = text.split(',').map((v) => v.trim()).filter(Boolean);
        const refs = items.map(cameraRef);
        const bad = items.findIndex((_, i) => refs[i] === undefined);
        if (bad >= 0 || items.length === 0 || items.length > 400) ctx.addIssue({ code: 'custom', message: `give cameras as ward/camera separated by commas, e.g. p07/cam-01 (${bad >= 0 ? `"${items[bad]!.slice(0, 70)}" is not one` : 'none given'})` });
        return refs.filter((r) => r !== undefined);
      })
      .optional()
      .describe('cameras as ward/camera, comma-separated'),
    near: z
      .string()
      .transform((text, ctx) => {
        const ref = cameraRef(text.trim());
        if (!ref) ctx.addIssue({ code: 'custom', message: 'give one camera as ward/camera, e.g. p07/cam-01' });
        return ref!;
      })
      .optional()
      .describe('the cameras within `radius` metres of this one (ward/camera): positions come from the boxes (edge.yaml cameras[].location)'),
    radius: whole('radius', 0, MAX_RADIUS_M).optional().describe(`metres around near, 0 to ${MAX_RADIUS_M} (default ${DEFAULT_RADIUS_M})`),
    labels: listOf('label', LABELS).optional().describe(`labels, comma-separated: ${LABELS.join(', ')}`),
    colours: listOf('colour', COLOURS).optional().describe(`vehicle colours, comma-separated: ${COLOURS.join(', ')}. Never with label person`),
    heading: whole('heading', 0, 359).optional().describe('direction of travel in the picture, degrees clockwise from up'),
    headingSpread: whole('headingSpread', 1, 180).optional().describe('with heading: ± this many degrees (default 45)'),
    line: id('line').optional().describe('sightings that crossed this counting line (needs exactly one camera); from/to then apply to the crossing time, and each result carries its crossing'),
    direction: z.enum(['forward', 'backward'], { message: 'must be forward or backward' }).optional().describe('with line: crossed in this direction'),
    zone: id('zone').optional().describe('sightings that were in this zone (needs wards, cameras or near)'),
    minDwell: whole('minDwell', 0, 86_400).optional().describe('seconds: in the zone at least this long (with zone), or in view at least this long (without); needs wards, cameras or near'),
    limit: limitQuery(MAX_SEARCH_PAGE).optional().describe(`page size, default 50, at most ${MAX_SEARCH_PAGE}`),
    cursor: cursorQuery,
  })
  .superRefine((q, ctx) => {
    toAfterFrom(q, ctx);
    if (q.to - q.from > MAX_WINDOW_HOURS * 3_600_000) ctx.addIssue({ code: 'custom', path: ['to'], message: `the window is ${((q.to - q.from) / 3_600_000).toFixed(1)} h, at most ${MAX_WINDOW_HOURS} h: search a shorter window` });
    const place = q.wards !== undefined || q.cameras !== undefined;
    if (q.near !== undefined && place) ctx.addIssue({ code: 'custom', path: ['near'], message: 'give either near (and radius) or wards/cameras, not both' });
    if (q.radius !== undefined && q.near === undefined) ctx.addIssue({ code: 'custom', path: ['radius'], message: 'give near too: the radius is around a camera' });
    // privacy: people are never searched by what they look like
    if (q.colours !== undefined && q.labels?.includes('person')) ctx.addIssue({ code: 'custom', path: ['colours'], message: 'people are never searched by appearance: leave out colours, or the label person' });
    const oneCamera = q.cameras?.length === 1 && q.wards === undefined && q.near === undefined;
    if (q.line !== undefined && !oneCamera) ctx.addIssue({ code: 'custom', path: ['line'], message: 'give exactly one camera (cameras=ward/camera): line ids are a camera\'s own' });
    if (q.direction !== undefined && q.line === undefined) ctx.addIssue({ code: 'custom', path: ['direction'], message: 'give line too: a direction is a line\'s' });
    if (q.headingSpread !== undefined && q.heading === undefined) ctx.addIssue({ code: 'custom', path: ['headingSpread'], message: 'give heading too' });
    if (q.zone !== undefined && !place && q.near === undefined) ctx.addIssue({ code: 'custom', path: ['zone'], message: 'give wards, cameras or near too: zone ids are a camera\'s own' });
    if (q.minDwell !== undefined && !place && q.near === undefined) ctx.addIssue({ code: 'custom', path: ['minDwell'], message: 'give wards, cameras or near too: a dwell is read from each sighting' });
  });

export const followQuery = z.strictObject({
  direction: z.enum(['after', 'before'], { message: 'must be after or before' }).default('after').describe('where it went (after, oldest first) or where it came from (before, newest first)'),
  minutes: whole('minutes', 1, MAX_FOLLOW_MINUTES).default(5).describe(`how long after it left (or before it came), 1 to ${MAX_FOLLOW_MINUTES} (default 5)`),
  radius: whole('radius', 1, MAX_FOLLOW_RADIUS_M).default(DEFAULT_RADIUS_M).describe(`metres around its camera, 1 to ${MAX_FOLLOW_RADIUS_M} (default ${DEFAULT_RADIUS_M})`),
  limit: limitQuery(MAX_SEARCH_PAGE).optional().describe(`at most this many (default 50, at most ${MAX_SEARCH_PAGE})`),
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
