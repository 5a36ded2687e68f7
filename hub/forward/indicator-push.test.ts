// The push of the 15-minute indicators: which quarters are due (a table), and real deliveries to the city's webhook
// receiver through the forwarder's own sink (signature checked there): in order, once each, caught up after an
// outage, across a restart of the pusher.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCityReceiver, type CityReceiver } from '../../test-fixtures/city/index.js';
import { silentLogger } from '../../shared/log.js';
import { applyCounts } from '../ingest/counts.js';
import { openHubStore, type HubStore } from '../store/store.js';
import { nextUlid, tempDir } from '../../testing/hub/test-support.js';
import { MAX_BACKLOG_QUARTERS, QUARTER_MS as Q, quartersDue, startIndicatorPush, type IndicatorMessage } from './indicator-push.js';
import { SECRET } from '../../testing/hub/forward/test-support.js';
import { webhookSink } from './webhook.js';

const T = Date.parse('2026-12-06T04:00:00Z');
const MIN = 60_000;

describe('quartersDue', () => {
  it.each([
    ['never pushed: the latest complete quarter that is 5 minutes old', null, T + 20 * MIN, [T]],
    ['never pushed, 4 minutes after a quarter: not yet that one', null, T + 19 * MIN, [T - Q]],
    ['up to date', T, T + 20 * MIN, []],
    ['one behind', T - Q, T + 20 * MIN, [T]],
    ['after an outage of an hour: every quarter, oldest first', T - 4 * Q, T + 20 * MIN, [T - 3 * Q, T - 2 * Q, T - Q, T]],
  ] as const)('%s', (_name, last, now, expected) => {
    expect(quartersDue(last, now, 5 * MIN)).toEqual(expected);
  });

  it('catches up at most a day after a long outage', () => {
    const due = quartersDue(T - 30 * 86_400_000, T + 20 * MIN, 5 * MIN);
    expect(due).toHaveLength(MAX_BACKLOG_QUARTERS);
    expect(due[due.length - 1]).toBe(T);
  });
});

describe('pushing the indicators to the city', () => {
  let city: CityReceiver;
  let store: HubStore;
  let now = T + 20 * MIN;
  const abort = new AbortController();
  const start = () =>
    startIndicatorPush({ sql: store.sql, district: 'Phú Nhuận', sinks: new Map([['city', webhookSink({ url: city.url, secret: SECRET, timeoutMs: 5000 })]]), delayMinutes: 5, logger: silentLogger(), clock: () => now, delivering: () => abort.signal });

  beforeAll(async () => {
    city = await startCityReceiver({ secret: SECRET });
    store = openHubStore(tempDir());
    await store.sql.tx(async (t) => {
      // p07/cam-01: 2 cars a minute from T − 1 h; one minute with a bus
      for (let m = T - 4 * Q; m < T + 2 * Q; m += MIN) {
        await applyCounts(t, 'p07', 'p07', { msgId: nextUlid(), ward: 'p07', camera: 'cam-01', minute: m, counts: [{ line: 'north', direction: 'forward', label: 'car', n: 2 }, ...(m === T + MIN ? [{ line: 'north', direction: 'backward' as const, label: 'bus' as const, n: 1 }] : [])] }, 0);
      }
    });
  });

  afterAll(async () => {
    abort.abort();
    await store?.close();
    await city?.stop();
  });

  it('sends the latest complete quarter first, signed, with its sums and the minutes watched', async () => {
    const push = start();
    await push.tick();
    push.close();
    const [first] = city.alerts();
    expect(city.alerts()).toHaveLength(1);
    expect(first!.idempotencyKey).toBe(`indicators:${T}:city`);
    expect(first!.alert as unknown as IndicatorMessage).toEqual({
      kind: 'indicators', district: 'Phú Nhuận', from: T, to: T + Q,
      indicators: [{ ward: 'p07', camera: 'cam-01', line: 'north', direction: 'backward', label: 'bus', n: 1 }, { ward: 'p07', camera: 'cam-01', line: 'north', direction: 'forward', label: 'car', n: 30 }],
      watched: [{ ward: 'p07', camera: 'cam-01', minutes: 15 }],
    });
  });

  it('tries a quarter again after the city failed, and sends each quarter once, in order, across a restart', async () => {
    now += Q; // the next quarter is due
    city.failNext(1, '500');
    let push = start();
    await push.tick();
    push.close();
    expect(city.alerts()).toHaveLength(1);
    push = start(); // a restart: it remembers what it sent
    await push.tick();
    await push.tick();
    push.close();
    expect(city.alerts().map((a) => a.idempotencyKey)).toEqual([`indicators:${T}:city`, `indicators:${T + Q}:city`]);
    expect((city.alerts()[1]!.alert as unknown as IndicatorMessage).indicators).toEqual([{ ward: 'p07', camera: 'cam-01', line: 'north', direction: 'forward', label: 'car', n: 30 }]);
  });
});
