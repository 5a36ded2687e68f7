// Applies a counts message to the index: the message is the whole camera-minute, so it replaces the minute, and
// keeps the 15-minute rollup (count_quarters) equal to the sum of its minutes.
import type { CountsMessage } from '../../shared/contract/index.js';
import type { Sql } from '../../shared/sql/sql.js';
import { cameraSeen } from '../store/cameras.js';

export const QUARTER_MS = 900_000;

/** The start of the 15 minutes a minute belongs to (UTC; every real offset is a multiple of 15 minutes). */
export const quarterOf = (minute: number): number => Math.floor(minute / QUARTER_MS) * QUARTER_MS;

export type MinuteAction = 'write' | 'replace' | 'duplicate' | 'superseded';

/**
 * What a counts message does to its camera-minute, given the msgId that holds the minute now (pure). Message ids
 * are ULIDs, which sort by when the box made them: a newer message for the minute replaces it, the same message
 * again (QoS 1 redelivery) or an older one changes nothing, in whatever order they arrive.
 */
export function minuteAction(storedMsgId: string | undefined, msgId: string): MinuteAction {
  if (storedMsgId === undefined) return 'write';
  if (msgId === storedMsgId) return 'duplicate';
  return msgId > storedMsgId ? 'replace' : 'superseded';
}

/** Applies a counts message inside the batch transaction. An empty list is stored too: the minute was watched and nothing counted. */
export async function applyCounts(t: Sql, ward: string, box: string, msg: CountsMessage, now: number): Promise<MinuteAction> {
  const { camera, minute } = msg;
  const holder = await t.get<{ msg_id: string }>('SELECT msg_id FROM count_minutes WHERE ward = ? AND camera = ? AND minute = ?', [ward, camera, minute]);
  const action = minuteAction(holder?.msg_id, msg.msgId);
  if (action === 'duplicate' || action === 'superseded') return action;
  const quarter = quarterOf(minute);
  const addQuarter = (line: string, direction: string, label: string, n: number) =>
    t.run(
      `INSERT INTO count_quarters (ward, camera, quarter, line, direction, label, n) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (ward, camera, quarter, line, direction, label) DO UPDATE SET n = count_quarters.n + excluded.n`,
      [ward, camera, quarter, line, direction, label, n],
    );
  // a (line, direction, label) the newer message leaves out was not counted in that minute after all
  if (action === 'replace') {
    const old = await t.all<{ line: string; direction: string; label: string; n: number }>('SELECT line, direction, label, n FROM counts WHERE ward = ? AND camera = ? AND minute = ?', [ward, camera, minute]);
    for (const o of old) await addQuarter(o.line, o.direction, o.label, -o.n);
    await t.run('DELETE FROM counts WHERE ward = ? AND camera = ? AND minute = ?', [ward, camera, minute]);
  } else {
    await t.run(
      `INSERT INTO count_quarter_minutes (ward, camera, quarter, minutes) VALUES (?, ?, ?, 1)
      ON CONFLICT (ward, camera, quarter) DO UPDATE SET minutes = count_quarter_minutes.minutes + 1`,
      [ward, camera, quarter],
    );
  }
  await t.run(
    `INSERT INTO count_minutes (ward, camera, minute, msg_id) VALUES (?, ?, ?, ?)
    ON CONFLICT (ward, camera, minute) DO UPDATE SET msg_id = excluded.msg_id`,
    [ward, camera, minute, msg.msgId],
  );
  for (const c of msg.counts) {
    await t.run('INSERT INTO counts (ward, camera, minute, line, direction, label, n) VALUES (?, ?, ?, ?, ?, ?, ?)', [ward, camera, minute, c.line, c.direction, c.label, c.n]);
    await addQuarter(c.line, c.direction, c.label, c.n);
  }
  if (action === 'replace') await t.run('DELETE FROM count_quarters WHERE ward = ? AND camera = ? AND quarter = ? AND n <= 0', [ward, camera, quarter]);
  // the counts query and their retention find a camera's rows through the cameras table
  await cameraSeen(t, ward, camera, box, now);
  return action;
}
