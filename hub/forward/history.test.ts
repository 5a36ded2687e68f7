import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openHubStore, type HubStore } from '../store/store.js';
import { createForwardHistory } from './history.js';
import { ForwardOutbox } from './outbox.js';

const INCIDENT = '01JAAAAAAAAAAAAAAAAAAAAAAA';
const RECORDING = '01JBBBBBBBBBBBBBBBBBBBBBBB';

let store: HubStore | undefined;
let dir: string | undefined;
afterEach(async () => {
  await store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function open(): { outbox: ForwardOutbox; history: ReturnType<typeof createForwardHistory> } {
  dir = mkdtempSync(path.join(tmpdir(), 'ww-history-'));
  store = openHubStore(dir);
  return { outbox: new ForwardOutbox(store.sql), history: createForwardHistory(store.sql) };
}

describe('forward history', () => {
  it('lists a subject’s rows on their way, delivered and dead, oldest first, each with its own time and reason', async () => {
    const { outbox, history } = open();
    const share = { by: 'lan', unblurred: false, note: null };
    const [a, b, c] = await outbox.enqueueShare({ kind: 'incident', id: INCIDENT }, ['city', 'police', 'press'], share, 1_000);
    await outbox.delivered(a!.key, 200, 3_000);
    await outbox.dead(b!.key, 422, 'bad payload', 2_000);
    await outbox.retry(c!.key, 9_000, 'timeout');
    await outbox.enqueueShare({ kind: 'incident', id: INCIDENT }, ['city'], { ...share, unblurred: true }, 1_500);

    expect(await history({ kind: 'incident', id: INCIDENT })).toEqual([
      { key: `${INCIDENT}:press`, target: 'press', state: 'pending', cause: 'share', sharedBy: 'lan', unblurred: false, attempts: 1, at: 1_000, reason: 'timeout' },
      { key: `${INCIDENT}:city:unblurred`, target: 'city', state: 'pending', cause: 'share', sharedBy: 'lan', unblurred: true, attempts: 0, at: 1_500, reason: null },
      { key: `${INCIDENT}:police`, target: 'police', state: 'dead', cause: 'share', sharedBy: 'lan', unblurred: false, attempts: 1, at: 2_000, reason: 'bad payload' },
      { key: `${INCIDENT}:city`, target: 'city', state: 'delivered', cause: 'share', sharedBy: 'lan', unblurred: false, attempts: 1, at: 3_000, reason: null },
    ]);
  });

  it('keeps an incident’s history and a recording’s apart, and is empty for a subject never forwarded', async () => {
    const { outbox, history } = open();
    await outbox.enqueueShare({ kind: 'recording', id: RECORDING }, ['city'], { by: 'lan', unblurred: false, note: 'for the case' }, 1_000);
    expect(await history({ kind: 'recording', id: RECORDING })).toMatchObject([{ key: `recording:${RECORDING}:city`, target: 'city', state: 'pending' }]);
    expect(await history({ kind: 'incident', id: RECORDING })).toEqual([]);
    expect(await history({ kind: 'incident', id: INCIDENT })).toEqual([]);
  });
});
