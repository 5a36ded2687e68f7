import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../package.js';
import { decodeCommand, decodeMessage, parseTopic, topics, TopicIdError } from './index.js';

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
    expect([...kinds].sort()).toEqual(['cameraStatus', 'clipManifest', 'command', 'events', 'retrievals', 'wardStatus']);
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
