// The optional push of the 15-minute traffic indicators to forward targets (hub.yaml forward.indicators): each
// complete quarter, once `delayMinutes` have passed (boxes send a minute after it ends), goes to each target as one
// signed message, in order; a target that is down gets the quarters it missed when it is back (up to a day), one
// quarter per attempt. Numbers only: no objects, no pictures. What was pushed is remembered per target
// (indicator_pushes), so a restart neither repeats nor skips a quarter. Pushed only by the process that delivers the
// forward outbox (it holds the forwarder lock: forwarder.ts), so several hub processes push each quarter once.
import type { Logger } from '../../shared/log.js';
import type { Sql } from '../../shared/sql/sql.js';
import { joinLeftFirst } from '../store/planner-hints.js';
import type { Sink } from './sink.js';

export const QUARTER_MS = 900_000;
/** A target that was down longer than this gets only the last day (96 quarters). */
export const MAX_BACKLOG_QUARTERS = 96;
const TICK_MS = 60_000;

/**
 * The quarters due for a target (pure): those after the last one pushed that are complete and `delayMs` old, oldest
 * first, at most MAX_BACKLOG_QUARTERS back. A target never pushed before starts with the latest due quarter.
 */
export function quartersDue(lastPushed: number | null, now: number, delayMs: number): number[] {
  const latest = Math.floor((now - delayMs) / QUARTER_MS) * QUARTER_MS - QUARTER_MS;
  if (lastPushed === null) return [latest];
  const first = Math.max(lastPushed + QUARTER_MS, latest - (MAX_BACKLOG_QUARTERS - 1) * QUARTER_MS);
  const out: number[] = [];
  for (let q = first; q <= latest; q += QUARTER_MS) out.push(q);
  return out;
}

export interface IndicatorMessage {
  kind: 'indicators';
  district: string;
  /** the quarter: [from, to), UTC ms */
  from: number;
  to: number;
  indicators: { ward: string; camera: string; line: string; direction: string; label: string; n: number }[];
  /** minutes of the quarter each camera reported (15: watched throughout); a camera absent here did not report */
  watched: { ward: string; camera: string; minutes: number }[];
}

export interface IndicatorPushOptions {
  /** the hub index (`store.sql`) */
  sql: Sql;
  district: string;
  /** target id → its sink (the forwarder's) */
  sinks: ReadonlyMap<string, Sink>;
  delayMinutes: number;
  logger: Logger;
  clock: () => number;
  /**
   * While this process may push (it holds the forwarder lock), the signal that ends that turn (the lock lost, the
   * forwarder closing); undefined while another process pushes: a tick then does nothing.
   */
  delivering: () => AbortSignal | undefined;
}

export interface IndicatorPush {
  /** one round over every target (the timer calls it every minute; tests call it directly) */
  tick(): Promise<void>;
  close(): void;
  /** resolves when no round is running */
  idle(): Promise<void>;
}

export function startIndicatorPush(o: IndicatorPushOptions): IndicatorPush {
  const log = o.logger.child({ part: 'indicator-push' });
  const last = async (target: string) =>
    (await o.sql.get<{ quarter: number }>('SELECT quarter FROM indicator_pushes WHERE target = ?', [target]))?.quarter ?? null;
  const mark = (target: string, quarter: number) =>
    o.sql.run('INSERT INTO indicator_pushes (target, quarter) VALUES (?, ?) ON CONFLICT (target) DO UPDATE SET quarter = excluded.quarter', [target, quarter]);
  const join = joinLeftFirst(o.sql.dialect);
  const sums = (quarter: number) =>
    o.sql.all<IndicatorMessage['indicators'][number]>(
      `SELECT c.ward, c.camera, c.line, c.direction, c.label, c.n FROM cameras k ${join} count_quarters c ON c.ward = k.ward AND c.camera = k.camera WHERE c.quarter = ? ORDER BY 1, 2, 3, 4, 5`,
      [quarter],
    );
  const watched = (quarter: number) =>
    o.sql.all<IndicatorMessage['watched'][number]>(
      `SELECT m.ward, m.camera, m.minutes FROM cameras k ${join} count_quarter_minutes m ON m.ward = k.ward AND m.camera = k.camera WHERE m.quarter = ? ORDER BY 1, 2`,
      [quarter],
    );
  let running: Promise<void> | undefined;

  const pushTarget = async (target: string, sink: Sink, signal: AbortSignal) => {
    for (const quarter of quartersDue(await last(target), o.clock(), o.delayMinutes * 60_000)) {
      if (signal.aborted) return;
      const message: IndicatorMessage = { kind: 'indicators', district: o.district, from: quarter, to: quarter + QUARTER_MS, indicators: await sums(quarter), watched: await watched(quarter) };
      if (signal.aborted) return;
      const outcome = await sink.deliver(`indicators:${quarter}:${target}`, JSON.stringify(message), signal);
      // the turn ended meanwhile: a quarter delivered is still marked; one not delivered is the next holder's
      if (outcome.kind === 'retry') {
        log.warn({ target, quarter, reason: outcome.reason }, `indicators of ${new Date(quarter).toISOString()} not delivered to ${target} (${outcome.reason}): tried again in a minute`);
        return;
      }
      // refused for good: logged and skipped (the next quarter is another message)
      if (outcome.kind === 'dead') log.error({ target, quarter, reason: outcome.reason }, `${target} refused the indicators of ${new Date(quarter).toISOString()}: ${outcome.reason}`);
      await mark(target, quarter);
    }
  };

  const round = async () => {
    try {
      const signal = o.delivering();
      if (signal) for (const [target, sink] of o.sinks) await pushTarget(target, sink, signal);
    } catch (err) {
      log.error({ err }, 'indicator push failed; tried again in a minute');
    }
  };
  // `.finally` runs after the assignment even when the round ends at once (not our turn)
  const tick = () => (running ??= round().finally(() => (running = undefined)));
  const timer = setInterval(() => void tick(), TICK_MS);
  timer.unref();
  return { tick, close: () => clearInterval(timer), idle: async () => void (await running) };
}
