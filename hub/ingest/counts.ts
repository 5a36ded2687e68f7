// Applies a counts message to the index: the message is the whole camera-minute, so it replaces the minute, and
// keeps the 15-minute rollup (count_quarters) equal to the sum of its minutes.
import type { CountsMessage } from '../../shared/contract/index.js';
import type { Db } from '../../shared/db.js';
import type { CameraSeen } from '../store/cameras.js';

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

export class CountsWriter {
  private readonly s;

  constructor(
    db: Db,
    private readonly cameraSeen: CameraSeen,
  ) {
    this.s = {
      holder: db.prepare<[string, string, number], { msg_id: string }>('SELECT msg_id FROM count_minutes WHERE ward = ? AND camera = ? AND minute = ?'),
      putMinute: db.prepare(`INSERT INTO count_minutes (ward, camera, minute, msg_id) VALUES (?, ?, ?, ?)
        ON CONFLICT (ward, camera, minute) DO UPDATE SET msg_id = excluded.msg_id`),
      clear: db.prepare('DELETE FROM counts WHERE ward = ? AND camera = ? AND minute = ?'),
      put: db.prepare('INSERT INTO counts (ward, camera, minute, line, direction, label, n) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      old: db.prepare<[string, string, number], { line: string; direction: string; label: string; n: number }>('SELECT line, direction, label, n FROM counts WHERE ward = ? AND camera = ? AND minute = ?'),
      addQuarter: db.prepare(`INSERT INTO count_quarters (ward, camera, quarter, line, direction, label, n) VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (ward, camera, quarter, line, direction, label) DO UPDATE SET n = n + excluded.n`),
      dropEmpty: db.prepare('DELETE FROM count_quarters WHERE ward = ? AND camera = ? AND quarter = ? AND n <= 0'),
      watchedQuarter: db.prepare(`INSERT INTO count_quarter_minutes (ward, camera, quarter, minutes) VALUES (?, ?, ?, 1)
        ON CONFLICT (ward, camera, quarter) DO UPDATE SET minutes = minutes + 1`),
    };
  }

  /** Called inside the batch transaction. An empty list is stored too: the minute was watched and nothing counted. */
  apply(ward: string, box: string, msg: CountsMessage, now: number): MinuteAction {
    const { camera, minute } = msg;
    const action = minuteAction(this.s.holder.get(ward, camera, minute)?.msg_id, msg.msgId);
    if (action === 'duplicate' || action === 'superseded') return action;
    const quarter = quarterOf(minute);
    // a (line, direction, label) the newer message leaves out was not counted in that minute after all
    if (action === 'replace') {
      for (const o of this.s.old.all(ward, camera, minute)) this.s.addQuarter.run(ward, camera, quarter, o.line, o.direction, o.label, -o.n);
      this.s.clear.run(ward, camera, minute);
    } else this.s.watchedQuarter.run(ward, camera, quarter);
    this.s.putMinute.run(ward, camera, minute, msg.msgId);
    for (const c of msg.counts) {
      this.s.put.run(ward, camera, minute, c.line, c.direction, c.label, c.n);
      this.s.addQuarter.run(ward, camera, quarter, c.line, c.direction, c.label, c.n);
    }
    if (action === 'replace') this.s.dropEmpty.run(ward, camera, quarter);
    // the counts query and their retention find a camera's rows through the cameras table
    this.cameraSeen(ward, camera, box, now);
    return action;
  }
}
