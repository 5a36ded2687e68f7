// Sightings, counts and alerts with rules through the real broker and ingest into a real SQLite index. Each
// `await publish…` resolves on the PUBACK, which the hub sends only after the commit: the queries that follow
// it read what the ward was promised.
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics, type CountsMessage, type Sighting, type SightingsMessage } from '../../shared/contract/index.js';
import { connectWard, eventMessage, FIXED_START, nextUlid, publishEvent, startTestHub, testWard, type TestHub } from '../../testing/hub/test-support.js';

const p07 = testWard('p07');
const p08 = testWard('p08');
const JPEG = '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/2Q==';
const MINUTE = 60_000;
const DAY_START = Math.floor(FIXED_START / 86_400_000) * 86_400_000 - 86_400_000;

function sighting(over: Partial<Sighting> = {}): Sighting {
  return {
    id: nextUlid(),
    camera: 'cam-01',
    label: 'car',
    first: FIXED_START,
    last: FIXED_START + 8000,
    score: 0.84,
    box: { x: 0.4, y: 0.5, w: 0.1, h: 0.08 },
    bestAt: FIXED_START + 3000,
    heading: 270,
    lines: [{ line: 'pdl-north', direction: 'forward', at: FIXED_START + 4000 }],
    zones: [{ zone: 'crossing', seconds: 3.5 }],
    colour: 'white',
    thumbnail: JPEG,
    final: true,
    ...over,
  };
}

const sightingsMessage = (sightings: Sighting[], ward = 'p07'): SightingsMessage => ({ msgId: nextUlid(), ward, camera: sightings[0]!.camera, sightings });
const countsMessage = (minute: number, counts: CountsMessage['counts'], camera = 'cam-01'): CountsMessage => ({ msgId: nextUlid(), ward: 'p07', camera, minute, counts });

describe('sightings, counts and rules through the broker', () => {
  let hub: TestHub;
  let ward: MqttClient;
  let ward8: MqttClient;

  beforeAll(async () => {
    hub = await startTestHub({ wards: [p07, p08] });
    ward = await connectWard(hub.port, { ward: p07 });
    ward8 = await connectWard(hub.port, { ward: p08 });
  });
  afterAll(async () => {
    await ward?.endAsync();
    await ward8?.endAsync();
    await hub?.close();
  });

  const publish = (topic: string, body: unknown, client = ward) => client.publishAsync(topic, typeof body === 'string' ? body : JSON.stringify(body), { qos: 1 });
  const sendSightings = (msg: SightingsMessage, client = ward) => publish(topics.sightings(msg.ward), msg, client);
  const sendCounts = (msg: CountsMessage) => publish(topics.counts('p07'), msg);
  const row = (id: string) => hub.store.db.prepare('SELECT * FROM sightings WHERE id = ?').get(id) as Record<string, unknown> | undefined;
  const crossings = (id: string) => hub.store.db.prepare('SELECT line, direction, at FROM sighting_lines WHERE id = ? ORDER BY at').all(id);
  const minuteCounts = (minute: number, camera = 'cam-01') =>
    hub.store.db.prepare('SELECT line, direction, label, n FROM counts WHERE ward = ? AND camera = ? AND minute = ? ORDER BY line, direction, label').all('p07', camera, minute);
  const refusals = () => ({ ...hub.ingest.stats().invalid });

  describe('sightings', () => {
    it('stores a sighting with its thumbnail as JPEG bytes, its crossings, and its camera', async () => {
      const s = sighting();
      await sendSightings(sightingsMessage([s]));
      expect(row(s.id)).toMatchObject({ ward: 'p07', camera: 'cam-01', label: 'car', first: s.first, last: s.last, colour: 'white', final: 1, heading: 270, riders: null });
      expect(row(s.id)!.thumbnail).toEqual(Buffer.from(JPEG, 'base64'));
      expect(JSON.parse(row(s.id)!.lines as string)).toEqual(s.lines);
      expect(crossings(s.id)).toEqual([{ line: 'pdl-north', direction: 'forward', at: FIXED_START + 4000 }]);
      expect(hub.store.db.prepare("SELECT count(*) FROM cameras WHERE ward = 'p07' AND camera = 'cam-01'").pluck().get()).toBe(1);
    });

    it('applies a message delivered twice once', async () => {
      const msg = sightingsMessage([sighting(), sighting({ label: 'person', colour: undefined, thumbnail: undefined })]);
      const before = hub.ingest.stats();
      await sendSightings(msg);
      await sendSightings(msg);
      const after = hub.ingest.stats();
      expect(after.duplicates).toBe(before.duplicates + 1);
      expect(after.sightings).toBe(before.sightings + 2);
      for (const s of msg.sightings) expect(row(s.id)).toBeDefined();
    });

    it('keeps the final sighting of a long stay: partial, then final, then the partial again', async () => {
      const id = nextUlid();
      const partial = sighting({ id, final: false, last: FIXED_START + 300_000, lines: [{ line: 'pdl-north', direction: 'forward', at: FIXED_START + 4000 }], zones: [{ zone: 'crossing', seconds: 290 }] });
      const final = sighting({
        id, final: true, last: FIXED_START + 420_000, score: 0.91,
        lines: [{ line: 'pdl-north', direction: 'forward', at: FIXED_START + 4000 }, { line: 'pdl-south', direction: 'backward', at: FIXED_START + 419_000 }],
        zones: [{ zone: 'crossing', seconds: 410 }],
      });
      const partialMsg = sightingsMessage([partial]);
      await sendSightings(partialMsg);
      expect(row(id)).toMatchObject({ final: 0, last: FIXED_START + 300_000 });
      await sendSightings(sightingsMessage([final]));
      const superseded = hub.ingest.stats().superseded;
      await sendSightings({ ...partialMsg, msgId: nextUlid() }); // the partial again, as a new message
      await sendSightings(partialMsg); // and the very same message again
      expect(row(id)).toMatchObject({ final: 1, last: FIXED_START + 420_000, score: 0.91, zones: JSON.stringify(final.zones) });
      expect(crossings(id)).toEqual([
        { line: 'pdl-north', direction: 'forward', at: FIXED_START + 4000 },
        { line: 'pdl-south', direction: 'backward', at: FIXED_START + 419_000 },
      ]);
      expect(hub.ingest.stats().superseded).toBe(superseded + 1);
      expect(hub.store.db.prepare('SELECT count(*) FROM sightings WHERE id = ?').pluck().get(id)).toBe(1);
    });

    it('applies a partial and the final of one object in the same message in order', async () => {
      const id = nextUlid();
      await sendSightings(sightingsMessage([sighting({ id, final: false, last: FIXED_START + 100_000 }), sighting({ id, final: true, last: FIXED_START + 150_000 })]));
      expect(row(id)).toMatchObject({ final: 1, last: FIXED_START + 150_000 });
    });

    it('takes a batch of 500 sightings in one message', async () => {
      const many = Array.from({ length: 500 }, (_, i) => sighting({ label: i % 2 ? 'motorcycle' : 'person', ...(i % 2 ? { riders: 2 } : { colour: undefined, thumbnail: undefined }) }));
      await sendSightings(sightingsMessage(many));
      expect(hub.store.db.prepare(`SELECT count(*) FROM sightings WHERE id IN (${many.map(() => '?').join(',')})`).pluck().get(...many.map((s) => s.id))).toBe(500);
    });

    it.each([
      ['a person with a thumbnail', () => sightingsMessage([sighting({ label: 'person', colour: undefined })]), 'schema', /sightings\.0\.thumbnail: a person gets no colour and no picture/],
      ['a person with a colour', () => sightingsMessage([sighting({ label: 'person', thumbnail: undefined })]), 'schema', /a person gets no colour and no picture/],
      ['a sighting of another camera than the message\'s', () => ({ ...sightingsMessage([sighting()]), camera: 'cam-09' }), 'schema', /every sighting must be of the message's camera/],
      ['a ward that is not the topic\'s', () => sightingsMessage([sighting()], 'p08'), 'id-mismatch', /ward p08 in payload differs from topic ward p07/],
      ['last before first', () => sightingsMessage([sighting({ last: FIXED_START - 1 })]), 'schema', /last must not be before first/],
      ['a thumbnail that is not a JPEG', () => sightingsMessage([sighting({ thumbnail: Buffer.from('GIF89a not a jpeg').toString('base64') })]), 'not-jpeg', /thumbnail is not a JPEG/],
      ['an empty batch', () => ({ msgId: nextUlid(), ward: 'p07', camera: 'cam-01', sightings: [] }), 'schema', /sightings:/],
    ])('refuses %s with a reason, acknowledges it, and stores none of it', async (_name, make, kind, reason) => {
      const msg = make() as SightingsMessage;
      const before = refusals();
      await publish(topics.sightings('p07'), msg);
      expect(refusals()[kind as 'schema']).toBe((before[kind as 'schema'] ?? 0) + 1);
      const logged = hub.lines().filter((l) => l.kind === kind).at(-1);
      expect(logged).toMatchObject({ ward: 'p07', topic: 'wardwatch/v1/p07/sightings' });
      expect(String(logged!.reason)).toMatch(reason);
      for (const s of msg.sightings) expect(row(s.id)).toBeUndefined();
      expect(ward.connected).toBe(true);
    });

    it('refuses a whole message naming a sighting id of another ward, and keeps that ward\'s sighting', async () => {
      const theirs = sighting({ colour: 'blue' });
      await sendSightings(sightingsMessage([theirs], 'p08'), ward8);
      const mine = sighting();
      const before = refusals()['foreign-sighting'] ?? 0;
      await sendSightings(sightingsMessage([mine, sighting({ id: theirs.id, last: theirs.last + 1000 })]));
      expect(refusals()['foreign-sighting']).toBe(before + 1);
      expect(row(theirs.id)).toMatchObject({ ward: 'p08', colour: 'blue', last: theirs.last });
      expect(row(mine.id)).toBeUndefined(); // nothing of the refused message, so a fixed box can send it again
    });
  });

  describe('counts', () => {
    const minute = DAY_START + 10 * MINUTE;

    it('stores a camera-minute once however often it is delivered', async () => {
      const msg = countsMessage(minute, [
        { line: 'pdl-north', direction: 'forward', label: 'motorcycle', n: 41 },
        { line: 'pdl-north', direction: 'backward', label: 'car', n: 3 },
      ]);
      const before = hub.ingest.stats();
      await sendCounts(msg);
      await sendCounts(msg);
      await sendCounts(msg);
      expect(minuteCounts(minute)).toEqual([
        { line: 'pdl-north', direction: 'backward', label: 'car', n: 3 },
        { line: 'pdl-north', direction: 'forward', label: 'motorcycle', n: 41 },
      ]);
      expect(hub.ingest.stats()).toMatchObject({ countMinutes: before.countMinutes + 1, duplicates: before.duplicates + 2 });
    });

    it('lets a newer message for the same minute replace it whole, and an older one arriving late change nothing', async () => {
      const m = minute + MINUTE;
      const older = countsMessage(m, [{ line: 'pdl-north', direction: 'forward', label: 'car', n: 5 }, { line: 'pdl-north', direction: 'forward', label: 'bus', n: 1 }]);
      const newer = countsMessage(m, [{ line: 'pdl-north', direction: 'forward', label: 'car', n: 6 }]);
      await sendCounts(older);
      await sendCounts(newer);
      expect(minuteCounts(m)).toEqual([{ line: 'pdl-north', direction: 'forward', label: 'car', n: 6 }]);
      await sendCounts({ ...older }); // redelivered after the newer one
      expect(minuteCounts(m)).toEqual([{ line: 'pdl-north', direction: 'forward', label: 'car', n: 6 }]);
    });

    it('records an empty minute as watched with nothing counted', async () => {
      const m = minute + 2 * MINUTE;
      await sendCounts(countsMessage(m, []));
      expect(minuteCounts(m)).toEqual([]);
      expect(hub.store.db.prepare("SELECT count(*) FROM count_minutes WHERE ward = 'p07' AND camera = 'cam-01' AND minute = ?").pluck().get(m)).toBe(1);
    });

    it.each([
      ['a minute not on a minute boundary', () => countsMessage(minute + 30_000, []), /minute: must be the start of a minute \(a multiple of 60000\)/],
      ['a (line, direction, label) twice', () => countsMessage(minute, [{ line: 'a', direction: 'forward', label: 'car', n: 1 }, { line: 'a', direction: 'forward', label: 'car', n: 2 }]), /each \(line, direction, label\) at most once/],
      ['a count of zero', () => countsMessage(minute, [{ line: 'a', direction: 'forward', label: 'car', n: 0 }]), /counts\.0\.n/],
      ['a face', () => countsMessage(minute, [{ line: 'a', direction: 'forward', label: 'face' as 'car', n: 1 }]), /counts\.0\.label/],
    ])('refuses %s with a reason', async (_name, make, reason) => {
      const before = refusals().schema ?? 0;
      const msg = make();
      await sendCounts(msg);
      expect(refusals().schema).toBe(before + 1);
      expect(String(hub.lines().filter((l) => l.kind === 'schema').at(-1)!.reason)).toMatch(reason);
      expect(hub.store.db.prepare('SELECT count(*) FROM count_minutes WHERE msg_id = ?').pluck().get(msg.msgId)).toBe(0);
    });

    it('takes a day of counts (1440 messages of one camera, sent in order after a day offline, 128 in flight) in a few seconds', async () => {
      const messages = Array.from({ length: 1440 }, (_, i) =>
        countsMessage(DAY_START + i * MINUTE, i % 3 ? [{ line: 'pdl-north', direction: 'forward', label: 'motorcycle', n: 1 + (i % 40) }, { line: 'pdl-north', direction: 'backward', label: 'car', n: 1 + (i % 7) }] : [], 'cam-day'),
      );
      const started = performance.now();
      // as the edge uplink drains its outbox: in order, a window of 128 messages waiting for their PUBACK
      let next = 0;
      const lane = async () => {
        while (next < messages.length) await sendCounts(messages[next++]!);
      };
      await Promise.all(Array.from({ length: 128 }, lane));
      const ms = performance.now() - started;
      const sum = messages.flatMap((m) => m.counts).reduce((a, c) => a + c.n, 0);
      expect(hub.store.db.prepare("SELECT count(*) FROM count_minutes WHERE ward = 'p07' AND camera = 'cam-day'").pluck().get()).toBe(1440);
      expect(hub.store.db.prepare("SELECT sum(n) FROM counts WHERE ward = 'p07' AND camera = 'cam-day'").pluck().get()).toBe(sum);
      console.info(`a day of counts: 1440 messages of one camera acknowledged in ${Math.round(ms)} ms`);
      expect(ms).toBeLessThan(15_000);
    });
  });

  describe('alerts with rules', () => {
    it('fills the incident\'s rule from event.rule, and leaves it empty for a box that sends none', async () => {
      const withRule = eventMessage('p07');
      withRule.event.rule = { id: 'stopped-on-crossing', kind: 'dwell' };
      const old = eventMessage('p07');
      await publishEvent(ward, withRule);
      await publishEvent(ward, old);
      expect(await hub.store.getIncident(withRule.event.id)).toMatchObject({ rule_id: 'stopped-on-crossing', rule_kind: 'dwell' });
      expect(await hub.store.getIncident(old.event.id)).toMatchObject({ rule_id: null, rule_kind: null });
    });

    it('refuses a rule of an unknown kind with a reason', async () => {
      const bad = eventMessage('p07');
      const before = refusals().schema ?? 0;
      await publish(topics.events('p07'), { ...bad, event: { ...bad.event, rule: { id: 'x', kind: 'speeding' } } });
      expect(refusals().schema).toBe(before + 1);
      expect(String(hub.lines().filter((l) => l.kind === 'schema').at(-1)!.reason)).toMatch(/event\.rule\.kind/);
      expect(await hub.store.getIncident(bad.event.id)).toBeUndefined();
    });
  });
});
