// /api/indicators: traffic indicators for the dashboard and the city's operations centre — sums of the counting
// lines per 15 minutes, local hour or day, split by ward, camera, line, direction and label, as JSON or CSV; and the
// dashboard's summary of a ward or camera. Numbers only (no objects, no pictures), so not audited, like /api/counts.
import { z } from 'zod';
import { ID_HINT, ID_PATTERN, LABELS } from '../../shared/contract/index.js';
import { isTimeZone } from '../../shared/local-time.js';
import { bucketStart, BUCKET_MS, INDICATOR_BUCKETS, localHour } from '../indicators/buckets.js';
import { indicatorCsv } from '../indicators/csv.js';
import { createIndicatorQuery, DIMENSIONS, indicatorBudget, type Dimension } from '../indicators/query.js';
import { busiestHour, nowAgainstUsual, peakHourOfDay, usualWindows } from '../indicators/summary.js';
import type { ApiContext } from './context.js';
import type { RouteTable } from '../../shared/http/index.js';

const id = (what: string) => z.string().regex(ID_PATTERN, { message: `not a ${what} id: ${ID_HINT}` });
const ms = (what: string) => z.string().regex(/^\d{1,15}$/, { message: `${what}: a time in milliseconds since the Unix epoch (digits only)` }).transform(Number);

const scopeFields = {
  ward: id('ward').optional().describe('ward id; absent: every ward'),
  camera: id('camera').optional().describe('camera id (needs ward)'),
  line: id('line').optional().describe('one counting line (needs ward and camera)'),
};
const scopeChecks = (q: { ward?: string | undefined; camera?: string | undefined; line?: string | undefined }, ctx: z.RefinementCtx) => {
  if (q.camera !== undefined && q.ward === undefined) ctx.addIssue({ code: 'custom', path: ['camera'], message: 'give ward too: camera ids are unique within a ward only' });
  if (q.line !== undefined && q.camera === undefined) ctx.addIssue({ code: 'custom', path: ['line'], message: 'give ward and camera too: line ids are a camera\'s own' });
};

export const indicatorsQuery = z
  .strictObject({
    ...scopeFields,
    from: ms('from').describe('quarters at or after this time (ms)'),
    to: ms('to').describe('quarters before this time (ms)'),
    bucket: z.enum(INDICATOR_BUCKETS, { message: `must be one of ${INDICATOR_BUCKETS.join(', ')}` }).default('quarter').describe('sum per 15 minutes (quarter, the default), local hour or local day'),
    by: z
      .string()
      .transform((text, ctx) => {
        const items = [...new Set(text.split(',').map((v) => v.trim()).filter(Boolean))];
        const unknown = items.filter((v) => !(DIMENSIONS as readonly string[]).includes(v));
        if (unknown.length) ctx.addIssue({ code: 'custom', message: `unknown dimension ${unknown.map((u) => `"${u.slice(0, 20)}"`).join(', ')}: use ${DIMENSIONS.join(', ')}` });
        return items as Dimension[];
      })
      .optional()
      .describe(`split the sums by these, comma-separated: ${DIMENSIONS.join(', ')} (default: ward,camera,line,direction,label)`),
    timeZone: z.string().max(64).refine(isTimeZone, { message: 'not a time zone this hub knows: give an IANA name such as Asia/Ho_Chi_Minh' }).optional().describe('IANA zone whose hours and days the buckets follow; default: hub.yaml timeZone'),
    format: z.enum(['json', 'csv'], { message: 'must be json or csv' }).default('json').describe('csv: one row per bucket and split, for a spreadsheet'),
  })
  .superRefine((q, ctx) => {
    scopeChecks(q, ctx);
    if (q.to <= q.from) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be later than from' });
  });

export const dashboardQuery = z.strictObject(scopeFields).superRefine(scopeChecks);

const HOUR = BUCKET_MS.hour;
const DAY = BUCKET_MS.day;

export function indicatorRoutes(routes: RouteTable, ctx: ApiContext): void {
  const indicators = createIndicatorQuery(ctx.store.sql);

  routes.add(
    {
      method: 'GET',
      url: '/api/indicators',
      summary: 'Traffic indicators for the operations centre: objects that crossed the counting lines, summed per 15 minutes, local hour or day, split by ward, camera, line, direction and label, with the camera-minutes watched per bucket; JSON or CSV',
      tag: 'indicators',
      auth: 'indicators',
      query: indicatorsQuery,
      responses: {
        200: 'JSON { bucket, timeZone, from, to, by, indicators: [{ at, ward?, camera?, line?, direction?, label?, n }], watched: [{ at, minutes }] }, or CSV (format=csv)',
        400: 'a filter is not valid, or the request reads too much (`field` names what to change)',
        401: 'not logged in',
        403: 'not allowed',
      },
      produces: { 200: 'application/json' },
    },
    async (_req, reply, { query: q }) => {
      const problem = indicatorBudget(q, await indicators.cameras(q));
      if (problem) return reply.code(400).send({ error: `${problem.field}: ${problem.message}`, code: 'RANGE_TOO_LARGE', field: problem.field });
      const by = q.by ?? [...DIMENSIONS];
      const timeZone = q.timeZone ?? ctx.timeZone;
      const answer = await indicators.run({ ...q, by, timeZone });
      if (q.format === 'csv') {
        return reply
          .header('content-type', 'text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="indicators-${q.bucket}-${new Date(q.from).toISOString().slice(0, 10)}.csv"`)
          .send(indicatorCsv(answer.rows, by, timeZone));
      }
      return { bucket: q.bucket, timeZone, from: q.from, to: q.to, by, indicators: answer.rows, watched: answer.watched };
    },
  );

  routes.add(
    {
      method: 'GET',
      url: '/api/indicators/dashboard',
      summary: 'The dashboard of a ward or camera (or the district when small enough): the last 24 hours per hour and the last 7 local days per day, by label; the busiest hour; the last hour against the usual for this weekday and hour (the same hour 1–4 weeks back)',
      tag: 'indicators',
      auth: 'indicators',
      query: dashboardQuery,
      responses: {
        200: '{ timeZone, at, labels, last24h: [{ at, n, byLabel }], last7d: [{ at, n, byLabel }], busiest24h, peakHour: { hour, perHour, days } | null, now: { from, to, n, watchedMinutes }, usual: { n, weeks, ratio } }',
        400: 'a filter is not valid, or the scope is too large for a week (`field` names what to change)',
        401: 'not logged in',
        403: 'not allowed',
      },
    },
    async (_req, reply, { query: q }) => {
      const timeZone = ctx.timeZone;
      const now = ctx.clock();
      const end = bucketStart(now, 'hour', timeZone) + HOUR;
      const start = bucketStart(now - 6 * DAY, 'day', timeZone);
      const problem = indicatorBudget({ from: start, to: end }, await indicators.cameras(q));
      if (problem) return reply.code(400).send({ error: `ward: the district is too large for a week's dashboard (${problem.message})`, code: 'RANGE_TOO_LARGE', field: 'ward' });
      const scope = { ward: q.ward, camera: q.camera, line: q.line, timeZone };
      const hourly = await indicators.run({ ...scope, from: start, to: end, bucket: 'hour', by: ['label'] });

      type Point = { at: number; n: number; byLabel: Partial<Record<string, number>> };
      const hours = new Map<number, Point>();
      const days = new Map<number, Point>();
      for (let t = end - 24 * HOUR; t < end; t += HOUR) hours.set(t, { at: t, n: 0, byLabel: {} });
      for (let d = 0; d < 7; d++) {
        const t = bucketStart(start + d * DAY + 2 * HOUR, 'day', timeZone);
        days.set(t, { at: t, n: 0, byLabel: {} });
      }
      const totals = new Map<number, number>();
      for (const r of hourly.rows) {
        totals.set(r.at, (totals.get(r.at) ?? 0) + r.n);
        for (const p of [hours.get(r.at), days.get(bucketStart(r.at, 'day', timeZone))]) {
          if (!p) continue;
          p.n += r.n;
          p.byLabel[r.label!] = (p.byLabel[r.label!] ?? 0) + r.n;
        }
      }
      const current = end - HOUR;
      // full hours that were watched: the hour in progress and hours the cameras did not report are no evidence
      const watchedHours = new Set(hourly.watched.filter((w) => w.minutes > 0 && w.at < current).map((w) => w.at));
      const past = [...totals.entries()].filter(([t]) => watchedHours.has(t)).map(([at, n]) => ({ at, n }));
      for (const t of watchedHours) if (!totals.has(t)) past.push({ at: t, n: 0 });

      // now: the last hour of complete quarters; the usual: the same hour 1–4 weeks back
      const nowTo = bucketStart(now, 'quarter', timeZone);
      const window = async (from: number, to: number) => {
        const a = await indicators.run({ ...scope, from, to, bucket: 'quarter', by: [] });
        return { n: a.rows.reduce((s, r) => s + r.n, 0), watchedMinutes: a.watched.reduce((s, w) => s + w.minutes, 0) };
      };
      const nowWindow = { from: nowTo - HOUR, to: nowTo, ...(await window(nowTo - HOUR, nowTo)) };
      const usual = nowAgainstUsual(nowWindow.n, await Promise.all(usualWindows(nowTo).map((w) => window(w.from, w.to))));
      const { hour, weekday } = localHour(nowWindow.from, timeZone);
      return {
        timeZone,
        at: now,
        scope: { ward: q.ward ?? null, camera: q.camera ?? null, line: q.line ?? null },
        labels: LABELS.filter((l) => hourly.rows.some((r) => r.label === l)),
        last24h: [...hours.values()],
        last7d: [...days.values()],
        busiest24h: busiestHour(past.filter((p) => p.at >= end - 24 * HOUR)),
        peakHour: peakHourOfDay(past, timeZone),
        now: { ...nowWindow, weekday, hour },
        usual: { n: usual.usual, weeks: usual.weeks, ratio: usual.ratio },
      };
    },
  );
}
