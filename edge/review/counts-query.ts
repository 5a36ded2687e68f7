// What crossed a camera's counting lines over a span, read from line_counts (edge/events/schema.ts): totals and by hour.
import type { Db } from '../../shared/db.js';

export type Direction = 'forward' | 'backward';

export interface LineTotal {
  line: string;
  direction: Direction;
  label: string;
  n: number;
}

export interface HourTotal {
  /** start of the hour, ms */
  hour: number;
  line: string;
  direction: Direction;
  n: number;
}

const HOUR_MS = 3_600_000;
const ORDER = "line, CASE direction WHEN 'forward' THEN 0 ELSE 1 END";

export class CountsQuery {
  constructor(private readonly db: Db) {}

  /** Sums over the minutes in [fromMs, toMs), per line, direction and label. */
  totals(camera: string, fromMs: number, toMs: number): LineTotal[] {
    return this.db
      .prepare<[string, number, number], LineTotal>(
        `SELECT line, direction, label, SUM(n) AS n FROM line_counts WHERE camera = ? AND minute >= ? AND minute < ?
         GROUP BY line, direction, label ORDER BY ${ORDER}, label`,
      )
      .all(camera, fromMs, toMs);
  }

  /**
   * Sums per hour since `fromMs`, per line and direction. With `fromMs` a local midnight these are the local hours,
   * across a change of clocks too (the changes are whole hours).
   */
  byHour(camera: string, fromMs: number, toMs: number): HourTotal[] {
    return this.db
      .prepare<[number, number, string, number, number], HourTotal>(
        // parameters come in as REAL: CAST makes the division whole
        `SELECT CAST(? AS INTEGER) + CAST((minute - ?) / ${HOUR_MS} AS INTEGER) * ${HOUR_MS} AS hour, line, direction, SUM(n) AS n FROM line_counts
         WHERE camera = ? AND minute >= ? AND minute < ? GROUP BY hour, line, direction ORDER BY hour, ${ORDER}`,
      )
      .all(fromMs, fromMs, camera, fromMs, toMs);
  }
}
