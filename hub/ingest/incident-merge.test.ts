import { describe, expect, it } from 'vitest';
import type { EventMessage } from '../../shared/contract/index.js';
import { mergeIncident, type Incident } from './incident-merge.js';

const ID = '01JDQ6Z7A1B2C3D4E5F6G7H8J9';
// msgIds sort by time: M1 < M2 < M3
const [M1, M2, M3] = ['01JDQ6Z8000000000000000001', '01JDQ6Z8000000000000000002', '01JDQ6Z8000000000000000003'];

function msg(msgId: string, type: EventMessage['type'], over: Partial<EventMessage['event']> = {}): EventMessage {
  return {
    msgId,
    type,
    event: { id: ID, ward: 'p07', camera: 'cam-01', label: 'car', score: 0.7, topScore: 0.7, box: { x: 0, y: 0, w: 0.1, h: 0.1 }, zones: [], start: 1000, end: type === 'end' ? 5000 : null, ...over },
  };
}

/** applies messages in the given order, as the hub would receive them */
function deliver(...messages: EventMessage[]): Incident {
  let incident: Incident | undefined;
  for (const m of messages) incident = mergeIncident(incident, m).incident;
  return incident!;
}

describe('mergeIncident', () => {
  const start = msg(M1, 'start', { zones: ['a'], snapshot: 'AAAA' });
  const update = msg(M2, 'update', { topScore: 0.9, score: 0.9, box: { x: 0.5, y: 0.5, w: 0.2, h: 0.2 }, zones: ['b'] });
  const end = msg(M3, 'end', { score: 0.6, topScore: 0.85, end: 5000 });

  it.each([
    ['in order', [start, update, end]],
    ['end before update', [start, end, update]],
    ['end first', [end, update, start]],
    ['update first', [update, start, end]],
    ['with repeats', [start, start, update, end, end, update]],
  ])('reaches the same final incident delivered %s', (_name, order) => {
    expect(deliver(...order)).toEqual({
      ward: 'p07',
      camera: 'cam-01',
      label: 'car',
      score: 0.6, // from the newest message, the end
      topScore: 0.9, // the best ever seen
      box: { x: 0, y: 0, w: 0.1, h: 0.1 },
      zones: expect.arrayContaining(['a', 'b']) as unknown as string[],
      start: 1000,
      end: 5000,
      state: 'ended',
      rule: null,
      lastMsgId: M3,
      snapshotMsgId: M1,
    });
  });

  it.each([
    ['an update after the end does not reopen it', [end, msg(M2, 'update')], 'ended', 5000],
    ['a later update with a newer id still does not reopen it', [msg(M1, 'end'), msg(M3, 'update')], 'ended', 5000],
    ['a second end does not move the end time', [end, msg('01JDQ6Z8000000000000000009', 'end', { end: 9000 })], 'ended', 5000],
    ['a start alone is open', [start], 'open', null],
  ] as const)('%s', (_name, order, state, endTime) => {
    const i = deliver(...order);
    expect(i.state).toBe(state);
    expect(i.end).toBe(endTime);
  });

  it('lets an older message raise topScore and widen zones, but not overwrite the newer box', () => {
    const newer = msg(M3, 'update', { topScore: 0.5, box: { x: 0.9, y: 0.9, w: 0.1, h: 0.1 } });
    const older = msg(M2, 'update', { topScore: 0.95, box: { x: 0.1, y: 0.1, w: 0.1, h: 0.1 }, zones: ['z'], start: 900 });
    const i = deliver(newer, older);
    expect(i).toMatchObject({ topScore: 0.95, box: { x: 0.9, y: 0.9 }, zones: ['z'], start: 900, lastMsgId: M3 });
  });

  it.each([
    ['keeps the rule of the first message that names one', [msg(M1, 'start', { rule: { id: 'stopped', kind: 'dwell' } }), msg(M2, 'update', { rule: { id: 'other', kind: 'crowd' } })], { id: 'stopped', kind: 'dwell' }],
    ['takes the rule from a later message when the first had none', [msg(M1, 'start'), msg(M2, 'update', { rule: { id: 'wrong-way-pdl', kind: 'wrong-way' } })], { id: 'wrong-way-pdl', kind: 'wrong-way' }],
    ['has no rule from a box that sends none (before 0.2)', [msg(M1, 'start'), msg(M3, 'end')], null],
  ] as const)('%s', (_name, order, rule) => {
    expect(deliver(...order).rule).toEqual(rule);
  });

  it('takes a snapshot only from a message newer than the stored one', () => {
    const first = mergeIncident(undefined, msg(M2, 'start', { snapshot: 'AAAA' }));
    expect(first.takeSnapshot).toBe(true);
    expect(mergeIncident(first.incident, msg(M1, 'update', { snapshot: 'BBBB' })).takeSnapshot).toBe(false);
    expect(mergeIncident(first.incident, msg(M3, 'end', { snapshot: 'CCCC' })).takeSnapshot).toBe(true);
    expect(mergeIncident(first.incident, msg(M3, 'end')).takeSnapshot).toBe(false);
  });
});
