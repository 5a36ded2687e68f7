// Applies a counts message to the index: the message is the whole camera-minute, so it replaces the minute.
import type { CountsMessage } from '../../shared/contract/index.js';
import type { Db } from '../../shared/db.js';
import type { CameraSeen } from '../store/cameras.js';

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
    };
  }

  /** Called inside the batch transaction. An empty list is stored too: the minute was watched and nothing counted. */
  apply(ward: string, msg: CountsMessage, now: number): MinuteAction {
    const { camera, minute } = msg;
    const action = minuteAction(this.s.holder.get(ward, camera, minute)?.msg_id, msg.msgId);
    if (action === 'duplicate' || action === 'superseded') return action;
    // a (line, direction, label) the newer message leaves out was not counted in that minute after all
    if (action === 'replace') this.s.clear.run(ward, camera, minute);
    this.s.putMinute.run(ward, camera, minute, msg.msgId);
    for (const c of msg.counts) this.s.put.run(ward, camera, minute, c.line, c.direction, c.label, c.n);
    // the counts query and their retention find a camera's rows through the cameras table
    this.cameraSeen(ward, camera, now);
    return action;
  }
}
