import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../package.js';
import { decodeCommand, decodeMessage, MAX_SIGHTINGS_MESSAGE_BYTES, MAX_THUMBNAIL_BASE64, parseTopic, topics, TopicIdError, type Sighting } from './index.js';

const EVENT_ID = '01JDQ6Z7A1B2C3D4E5F6G7H8J9';

function contractExamples(): { topic: string; body: string; line: number }[] {
  const text = readFileSync(path.join(packageRoot(), 'CONTRACT.md'), 'utf8');
  const out: { topic: string; body: string; line: number }[] = [];
  const re = /```json topic=(\S+)\n([\s\S]*?)```/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out.push({ topic: m[1]!, body: m[2]!, line: text.slice(0, m.index).split('\n').length });
  }
  return out;
}

describe('CONTRACT.md', () => {
  const examples = contractExamples();

  it('has an example for every JSON topic kind', () => {
    const kinds = new Set(examples.map((e) => parseTopic(e.topic)?.kind));
    expect([...kinds].sort()).toEqual(['cameraStatus', 'clipManifest', 'command', 'counts', 'events', 'retrievals', 'sightings', 'wardStatus']);
  });

  it.each(examples)('example at line $line validates against the schema', ({ topic, body }) => {
    const parsed = parseTopic(topic);
    const result = parsed?.kind === 'command' ? decodeCommand(parsed.name, Buffer.from(body)) : decodeMessage(topic, Buffer.from(body));
    expect(result.ok ? 'ok' : result.reason).toBe('ok');
  });
});

describe('topics', () => {
  it('builds every topic of the contract', () => {
    expect(topics.wardStatus('p07')).toBe('wardwatch/v1/p07/status');
    expect(topics.cameraStatus('p07', 'cam-01')).toBe('wardwatch/v1/p07/cameras/cam-01/status');
    expect(topics.events('p07')).toBe('wardwatch/v1/p07/events');
    expect(topics.clipManifest('p07', EVENT_ID)).toBe(`wardwatch/v1/p07/clips/${EVENT_ID}/manifest`);
    expect(topics.clipChunk('p07', EVENT_ID, 3)).toBe(`wardwatch/v1/p07/clips/${EVENT_ID}/3`);
    expect(topics.commandFilter('p07')).toBe('wardwatch/v1/p07/cmd/#');
    expect(topics.retrievals('p07')).toBe('wardwatch/v1/p07/retrievals');
    expect(parseTopic('wardwatch/v1/p07/retrievals')).toEqual({ kind: 'retrievals', ward: 'p07' });
    expect(topics.sightings('p07')).toBe('wardwatch/v1/p07/sightings');
    expect(topics.counts('p07')).toBe('wardwatch/v1/p07/counts');
    expect(parseTopic('wardwatch/v1/p07/sightings')).toEqual({ kind: 'sightings', ward: 'p07' });
    expect(parseTopic('wardwatch/v1/p07/counts')).toEqual({ kind: 'counts', ward: 'p07' });
  });

  it.each([
    ['a slash', 'p/07'],
    ['a plus', 'p+'],
    ['a hash', '#'],
    ['empty', ''],
    ['over-long', 'a'.repeat(33)],
    ['upper case', 'P07'],
    ['a space', 'p 07'],
  ])('refuses a ward id with %s', (_name, id) => {
    expect(() => topics.events(id)).toThrow(TopicIdError);
    expect(() => topics.cameraStatus('p07', id)).toThrow(TopicIdError);
  });

  it('refuses bad event ids and chunk numbers', () => {
    expect(() => topics.clipManifest('p07', 'not-a-ulid')).toThrow(TopicIdError);
    expect(() => topics.clipChunk('p07', EVENT_ID, -1)).toThrow(TopicIdError);
    expect(() => topics.clipChunk('p07', EVENT_ID, 1.5)).toThrow(TopicIdError);
  });

  it.each([
    ['wardwatch/v1/p07/status', { kind: 'wardStatus', ward: 'p07' }],
    ['wardwatch/v1/p07/cameras/cam-01/status', { kind: 'cameraStatus', ward: 'p07', camera: 'cam-01' }],
    [`wardwatch/v1/p07/clips/${EVENT_ID}/12`, { kind: 'clipChunk', ward: 'p07', eventId: EVENT_ID, index: 12 }],
    ['wardwatch/v1/p07/cmd/retrieve', { kind: 'command', ward: 'p07', name: 'retrieve' }],
    ['wardwatch/v2/p07/status', undefined],
    ['wardwatch/v1/P07/status', undefined],
    ['wardwatch/v1/p07/status/extra', undefined],
    [`wardwatch/v1/p07/clips/${EVENT_ID}/01`, undefined],
    ['wardwatch/v1/p07/cameras/+/status', undefined],
    ['$SYS/broker/uptime', undefined],
  ])('parses %s', (topic, expected) => {
    expect(parseTopic(topic)).toEqual(expected);
  });
});

describe('decodeMessage', () => {
  const event = (over: Record<string, unknown> = {}) => ({
    msgId: '01JDQ6Z8X4K3M5N7P9R2S4T6V8',
    type: 'start',
    event: { id: EVENT_ID, ward: 'p07', camera: 'cam-01', label: 'car', score: 0.8, topScore: 0.8, box: { x: 0.1, y: 0.1, w: 0.2, h: 0.2 }, zones: [], start: 1, end: null, ...over },
  });
  const decode = (body: unknown, topic = 'wardwatch/v1/p07/events') => decodeMessage(topic, Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)));

  it('accepts a valid event', () => expect(decode(event()).ok).toBe(true));
  it.each([
    ['malformed JSON', '{"msgId":', /malformed JSON/],
    ['a face label', event({ label: 'face' }), /event\.label/],
    ['a ward that is not the topic\'s', event({ ward: 'p08' }), /differs from topic ward/],
    ['an unknown field', { ...event(), extra: 1 }, /Unrecognized key/],
    ['end before start', { ...event({ start: 10, end: 5 }), type: 'end' }, /end must not be before start/],
    ['an end message without an end time', { ...event(), type: 'end' }, /"end" message has event\.end set/],
    ['a box outside the picture', event({ box: { x: 0.9, y: 0, w: 1.2, h: 0.1 } }), /event\.box\.w/],
  ])('refuses %s with a reason', (_name, body, reason) => {
    const result = decode(body);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });

  it('refuses commands coming from a ward and topics outside the contract', () => {
    expect(decode('{}', 'wardwatch/v1/p07/cmd/retrieve').ok).toBe(false);
    expect(decode('{}', 'other/topic').ok).toBe(false);
  });
});

describe('alert rules on events', () => {
  const event = (rule?: unknown) => ({
    msgId: '01JDQ6Z8X4K3M5N7P9R2S4T6V8',
    type: 'start',
    event: { id: EVENT_ID, ward: 'p07', camera: 'cam-01', label: 'car', score: 0.8, topScore: 0.8, box: { x: 0.1, y: 0.1, w: 0.2, h: 0.2 }, zones: [], start: 1, end: null, ...(rule === undefined ? {} : { rule }) },
  });
  const decode = (body: unknown) => {
    const r = decodeMessage(topics.events('p07'), Buffer.from(JSON.stringify(body)));
    return r.ok ? 'ok' : r.reason;
  };

  it.each([
    ['an event without a rule (a box before 0.2)', undefined, 'ok'],
    ['a dwell rule', { id: 'stopped-on-crossing', kind: 'dwell' }, 'ok'],
    ['a wrong-way rule', { id: 'pdl-wrong-way', kind: 'wrong-way' }, 'ok'],
    ['a kind no box evaluates', { id: 'x', kind: 'speeding' }, /event\.rule\.kind/],
    ['a rule without an id', { kind: 'crowd' }, /event\.rule\.id/],
    ['a rule id that cannot be an id', { id: 'Rule 1', kind: 'crowd' }, /event\.rule\.id: not a valid id/],
    ['an unknown field in the rule', { id: 'x', kind: 'crowd', count: 3 }, /Unrecognized key/],
  ])('%s: %s', (_name, rule, expected) => {
    if (expected === 'ok') expect(decode(event(rule))).toBe('ok');
    else expect(decode(event(rule))).toMatch(expected);
  });
});

describe('sightings and counts', () => {
  const JPEG = '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/2Q==';
  const sighting = (over: Record<string, unknown> = {}): Sighting => ({
    id: EVENT_ID, camera: 'cam-01', label: 'car', first: 1_000, last: 9_000, score: 0.8, box: { x: 0.1, y: 0.1, w: 0.2, h: 0.2 }, bestAt: 2_000, heading: 90,
    lines: [{ line: 'pdl', direction: 'forward', at: 3_000 }], zones: [{ zone: 'crossing', seconds: 2.5 }], colour: 'red', thumbnail: JPEG, final: true, ...over,
  } as Sighting);
  const sightings = (list: unknown[], over: Record<string, unknown> = {}) => ({ msgId: '01JDQ6Z8X4K3M5N7P9R2S4T6V8', ward: 'p07', camera: 'cam-01', sightings: list, ...over });
  const counts = (over: Record<string, unknown> = {}) => ({ msgId: '01JDQ6Z8X4K3M5N7P9R2S4T6V8', ward: 'p07', camera: 'cam-01', minute: 1_764_061_200_000, counts: [{ line: 'pdl', direction: 'forward', label: 'motorcycle', n: 41 }], ...over });
  const decode = (topic: string, body: unknown) => {
    const r = decodeMessage(topic, Buffer.from(JSON.stringify(body)));
    return r.ok ? 'ok' : r.reason;
  };

  it.each([
    ['a car with colour and thumbnail', sightings([sighting()]), 'ok'],
    ['a person without either', sightings([sighting({ label: 'person', colour: undefined, thumbnail: undefined, heading: null })]), 'ok'],
    ['a motorcycle with riders, partial', sightings([sighting({ label: 'motorcycle', riders: 2, final: false })]), 'ok'],
    ['a person with a thumbnail', sightings([sighting({ label: 'person', colour: undefined })]), /sightings\.0\.thumbnail: a person gets no colour and no picture/],
    ['a person with a colour', sightings([sighting({ label: 'person', thumbnail: undefined })]), /a person gets no colour and no picture/],
    ['a colour not on the list', sightings([sighting({ colour: 'teal' })]), /sightings\.0\.colour/],
    ['a thumbnail over 8 KB', sightings([sighting({ thumbnail: 'A'.repeat(MAX_THUMBNAIL_BASE64 + 4) })]), /sightings\.0\.thumbnail/],
    ['last before first', sightings([sighting({ last: 500 })]), /sightings\.0\.last: last must not be before first/],
    ['a sighting of another camera', sightings([sighting({ camera: 'cam-02' })]), /every sighting must be of the message's camera/],
    ['an empty batch', sightings([]), /sightings:/],
    ['501 sightings', sightings(Array.from({ length: 501 }, () => sighting({ thumbnail: undefined }))), /sightings:/],
    ['a ward that is not the topic\'s', sightings([sighting()], { ward: 'p08' }), /ward p08 in payload differs from topic ward p07/],
    ['a face label', sightings([sighting({ label: 'face' })]), /sightings\.0\.label/],
  ])('sightings: %s: %s', (_name, body, expected) => {
    const got = decode(topics.sightings('p07'), body);
    if (expected === 'ok') expect(got).toBe('ok');
    else expect(got).toMatch(expected);
  });

  it.each([
    ['one camera-minute', counts(), 'ok'],
    ['an empty minute (watched, none counted)', counts({ counts: [] }), 'ok'],
    ['a minute not on a minute boundary', counts({ minute: 1_764_061_230_000 }), /minute: must be the start of a minute \(a multiple of 60000\)/],
    ['a (line, direction, label) twice', counts({ counts: [{ line: 'pdl', direction: 'forward', label: 'car', n: 1 }, { line: 'pdl', direction: 'forward', label: 'car', n: 2 }] }), /counts: each \(line, direction, label\) at most once/],
    ['the same line both ways', counts({ counts: [{ line: 'pdl', direction: 'forward', label: 'car', n: 1 }, { line: 'pdl', direction: 'backward', label: 'car', n: 2 }] }), 'ok'],
    ['a zero', counts({ counts: [{ line: 'pdl', direction: 'forward', label: 'car', n: 0 }] }), /counts\.0\.n/],
    ['a direction that is not one', counts({ counts: [{ line: 'pdl', direction: 'left', label: 'car', n: 1 }] }), /counts\.0\.direction/],
    ['a ward that is not the topic\'s', counts({ ward: 'p08' }), /ward p08 in payload differs from topic ward p07/],
  ])('counts: %s: %s', (_name, body, expected) => {
    const got = decode(topics.counts('p07'), body);
    if (expected === 'ok') expect(got).toBe('ok');
    else expect(got).toMatch(expected);
  });

  it('fits 500 sightings without pictures, or thumbnailed ones up to the byte budget, under the broker\'s default 1 MiB', () => {
    const plain = JSON.stringify(sightings(Array.from({ length: 500 }, () => sighting({ label: 'person', colour: undefined, thumbnail: undefined, lines: [{ line: 'pdl', direction: 'forward', at: 3_000 }, { line: 'east', direction: 'backward', at: 4_000 }] }))));
    expect(Buffer.byteLength(plain)).toBeLessThan(MAX_SIGHTINGS_MESSAGE_BYTES);
    expect(MAX_SIGHTINGS_MESSAGE_BYTES).toBeLessThan(1024 * 1024);
    // the reason for the byte budget: 500 full thumbnails are far over the broker's limit
    expect(500 * MAX_THUMBNAIL_BASE64).toBeGreaterThan(1024 * 1024);
  });
});

describe('retrieval messages', () => {
  const REQ = '01JDQ7A0000000000000000RQ1';
  const command = (over: Record<string, unknown> = {}) => Buffer.from(JSON.stringify({ msgId: '01JDQ7A00000000000000000EF', requestId: REQ, camera: 'cam-01', from: 1000, to: 61_000, requestedBy: 'lan', ...over }));
  const status = (over: Record<string, unknown>) => Buffer.from(JSON.stringify({ msgId: '01JDQ7A10000000000000000GH', requestId: REQ, ...over }));

  it('accepts a retrieve command and names the field of a bad one', () => {
    expect(decodeCommand('retrieve', command()).ok).toBe(true);
    const back = decodeCommand('retrieve', command({ to: 500 }));
    expect(back.ok ? 'ok' : back.reason).toMatch(/to: to must be later than from/);
    const cam = decodeCommand('retrieve', command({ camera: 'Cam 1' }));
    expect(cam.ok ? 'ok' : cam.reason).toMatch(/camera: not a valid id/);
    const unknown = decodeCommand('reboot', command());
    expect(unknown.ok ? 'ok' : unknown.reason).toMatch(/unknown command "reboot"/);
    expect(decodeCommand('retrieve', Buffer.from('{')).ok).toBe(false);
  });

  it.each([
    [{ state: 'cutting' }, 'ok'],
    [{ state: 'sent', bytes: 10 }, 'ok'],
    [{ state: 'failed', reason: 'unknown camera' }, 'ok'],
    [{ state: 'failed' }, /"failed" status has a reason/],
    [{ state: 'cutting', reason: 'x' }, /"failed" status has a reason/],
    [{ state: 'cutting', bytes: 10 }, /only a "sent" status has bytes/],
    [{ state: 'done' }, /state/],
  ])('retrieval status %j: %s', (body, expected) => {
    const r = decodeMessage(topics.retrievals('p07'), status(body));
    const got = r.ok ? 'ok' : r.reason;
    if (expected === 'ok') expect(got).toBe('ok');
    else expect(got).toMatch(expected);
  });

  it('refuses a manifest whose requestId differs from its eventId', () => {
    const manifest = { msgId: '01JDQ7A30000000000000000MN', eventId: REQ, requestId: EVENT_ID, camera: 'cam-01', contentType: 'video/mp4', bytes: 2048, sha256: 'a'.repeat(64), chunkBytes: 1024, chunks: 2, start: 1, end: 2 };
    const r = decodeMessage(topics.clipManifest('p07', REQ), Buffer.from(JSON.stringify(manifest)));
    expect(r.ok ? 'ok' : r.reason).toMatch(/requestId must equal eventId/);
    expect(decodeMessage(topics.clipManifest('p07', REQ), Buffer.from(JSON.stringify({ ...manifest, requestId: REQ }))).ok).toBe(true);
  });
});

describe('live command', () => {
  const RELAY = '01JDQ7B0000000000000000RY1';
  const live = (over: Record<string, unknown> = {}) =>
    Buffer.from(JSON.stringify({ msgId: '01JDQ7B00000000000000000AB', relayId: RELAY, camera: 'cam-01', stream: 'sub', url: `ws://127.0.0.1:8443/relay/${RELAY}`, token: 'q3Vt7yJm0cXo9N2aK8bW5eR1sD4fG6hZ-Lp_QxYvTu0', requestedBy: 'lan', ...over }));

  it.each([
    ['a good command', {}, 'ok'],
    ['an http URL', { url: 'http://hub/relay/x' }, /url: must be a ws:\/\/ or wss:\/\/ URL/],
    ['a short token', { token: 'abc' }, /token: must be 32–128 URL-safe characters/],
    ['another stream', { stream: 'hd' }, /stream:/],
    ['an unknown field', { extra: 1 }, /extra/],
  ])('%s', (_name, over, expected) => {
    const d = decodeCommand('live', live(over));
    if (expected === 'ok') expect(d.ok && d.command.name).toBe('live');
    else expect(d.ok ? 'ok' : d.reason).toMatch(expected);
  });
});

describe('delivery commands (cmd/ack, cmd/delivery)', () => {
  const ID = '01JDQ7A00000000000000000EF';
  const EVENT = '01JDQ6Z7A1B2C3D4E5F6G7H8J9';
  const body = (o: object) => Buffer.from(JSON.stringify(o));
  it.each([
    ['an ack of ids', 'ack', { msgId: ID, msgIds: [ID, EVENT] }, 'ok'],
    ['an ack of chunks', 'ack', { msgId: ID, msgIds: [], chunks: [{ eventId: EVENT, n: [0, 7] }] }, 'ok'],
    ['an ack id that is not a ULID', 'ack', { msgId: ID, msgIds: ['x'] }, /msgIds\.0: must be a ULID/],
    ['a chunk entry without indexes', 'ack', { msgId: ID, msgIds: [], chunks: [{ eventId: EVENT, n: [] }] }, /chunks\.0\.n/],
    ['more than 1000 ids and chunks together', 'ack', { msgId: ID, msgIds: Array(600).fill(ID), chunks: [{ eventId: EVENT, n: Array.from({ length: 401 }, (_, i) => i) }] }, /at most 1000/],
    ['an unknown field', 'ack', { msgId: ID, msgIds: [], extra: 1 }, /extra/],
    ['delivery by ack', 'delivery', { msgId: ID, confirm: 'ack' }, 'ok'],
    ['delivery by puback', 'delivery', { msgId: ID, confirm: 'puback' }, 'ok'],
    ['delivery by anything else', 'delivery', { msgId: ID, confirm: 'maybe' }, /confirm/],
  ])('%s', (_name, name, payload, expected) => {
    const d = decodeCommand(name, body(payload));
    if (expected === 'ok') expect(d.ok ? 'ok' : d.reason).toBe('ok');
    else expect(d.ok ? 'ok' : d.reason).toMatch(expected);
  });
});
