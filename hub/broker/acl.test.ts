import { describe, expect, it } from 'vitest';
import { checkClientId, checkPayloadSize, checkPublish, checkRetain, checkSubscribe, filterMatches, loggableUsername, MAX_RETAINED_BYTES, wardOfUsername, wardTopicTable } from './acl.js';

const EVENT = '01JDQ6Z7A1B2C3D4E5F6G7H8J9';

describe('acl', () => {
  it.each([
    ['ward-p07', 'p07'],
    ['ward-p07-b', 'p07-b'],
    ['ward-', undefined],
    ['ward-P07', undefined],
    ['admin', undefined],
    ['ward-p07/x', undefined],
    [undefined, undefined],
  ])('username %s is ward %s', (username, ward) => {
    expect(wardOfUsername(username)).toBe(ward);
  });

  it.each([
    ['p07', 'ward-p07', true],
    ['p07', 'ward-p07:live', true],
    ['p07', 'ward-p07-b', false], // another ward's client id
    ['p07', 'ward-p08', false],
    ['p07', 'mqttjs_1234', false],
    ['p07', '', false],
  ])('ward %s with client id "%s": allowed %s', (ward, clientId, ok) => {
    expect(checkClientId(ward, clientId).ok).toBe(ok);
  });

  it.each([
    ['wardwatch/v1/p07/status', true],
    ['wardwatch/v1/p07/cameras/cam-01/status', true],
    ['wardwatch/v1/p07/events', true],
    [`wardwatch/v1/p07/clips/${EVENT}/manifest`, true],
    [`wardwatch/v1/p07/clips/${EVENT}/3`, true],
    ['wardwatch/v1/p08/events', false],
    ['wardwatch/v1/p07/cmd/retrieve', false],
    ['wardwatch/v1/p07/other', false],
    ['wardwatch/v2/p07/events', false],
    ['$SYS/x', false],
    ['random/topic', false],
  ])('ward p07 publishing to %s: allowed %s', (topic, ok) => {
    expect(checkPublish('p07', topic).ok).toBe(ok);
  });

  it.each([
    ['wardwatch/v1/p07/cmd/#', true],
    ['wardwatch/v1/p07/cmd/retrieve', true],
    ['wardwatch/v1/p07/cmd/+', true],
    ['wardwatch/v1/p07/cmd/a#', false],
    ['wardwatch/v1/p07/cmd/#/x', false],
    ['wardwatch/v1/p07/#', false],
    ['wardwatch/v1/p08/cmd/#', false],
    ['wardwatch/v1/+/cmd/#', false],
    ['#', false],
    ['+/+/+/cmd/#', false],
    ['$SYS/#', false],
    ['wardwatch/v1/p07/events', false],
  ])('ward p07 subscribing to %s: allowed %s', (filter, ok) => {
    expect(checkSubscribe('p07', filter).ok).toBe(ok);
  });

  it.each([
    ['ward-p07', 'ward-p07'],
    ['admin', '***'],
    ['Zm9vYmFyLXRva2VuLXR5cGVkLWluLXRoZS13cm9uZy1i', '***'], // a token typed into the username
    ['ward-Zm9vYmFyLXRva2VuLXR5cGVkLWluLXRoZS13cm9uZy1i', '***'],
    [undefined, undefined],
  ])('username %s is logged as %s', (username, logged) => {
    expect(loggableUsername(username)).toBe(logged);
  });

  it.each([
    ['wardwatch/v1/p07/status', 300, true],
    ['wardwatch/v1/p07/status', 0, true], // clears the retained status
    ['wardwatch/v1/p07/cameras/cam-01/status', 300, true],
    ['wardwatch/v1/p07/status', MAX_RETAINED_BYTES + 1, false],
    ['wardwatch/v1/p07/events', 300, false],
    [`wardwatch/v1/p07/clips/${EVENT}/3`, 300, false],
    [`wardwatch/v1/p07/clips/${EVENT}/manifest`, 300, false],
    ['wardwatch/v1/p07/sightings', 300, false],
    ['wardwatch/v1/p07/counts', 300, false],
    ['wardwatch/v1/p07/retrievals', 300, false],
  ])('retain on %s with %i bytes: kept %s', (topic, bytes, ok) => {
    expect(checkRetain(topic, bytes).ok).toBe(ok);
  });

  it('refuses payloads over the limit, with the sizes in the reason', () => {
    expect(checkPayloadSize(1024, 1024).ok).toBe(true);
    expect(checkPayloadSize(1025, 1024)).toEqual({ ok: false, reason: 'payload of 1025 bytes exceeds maxPayloadBytes 1024' });
  });

  // One table for the embedded broker and an external broker's ACL file: each topic a ward may or may not publish is
  // judged the same by checkPublish and by the filters written for Mosquitto.
  it.each([
    ['wardwatch/v1/p07/status', true],
    ['wardwatch/v1/p07/cameras/cam-01/status', true],
    ['wardwatch/v1/p07/events', true],
    ['wardwatch/v1/p07/sightings', true],
    ['wardwatch/v1/p07/counts', true],
    ['wardwatch/v1/p07/retrievals', true],
    [`wardwatch/v1/p07/clips/${EVENT}/manifest`, true],
    [`wardwatch/v1/p07/clips/${EVENT}/12`, true],
    ['wardwatch/v1/p07/cmd/ack', false],
    ['wardwatch/v1/p08/events', false],
    ['wardwatch/v1/p07/cameras/cam-01/status/x', false],
    ['wardwatch/v1/p07', false],
  ])('the topic table and checkPublish agree on %s (publish allowed: %s)', (topic, ok) => {
    expect(checkPublish('p07', topic).ok).toBe(ok);
    expect(wardTopicTable('p07').publish.some((f) => filterMatches(f, topic))).toBe(ok);
  });

  it('a ward reads only its own commands in the topic table, as checkSubscribe allows', () => {
    const { subscribe } = wardTopicTable('p07');
    expect(subscribe).toEqual(['wardwatch/v1/p07/cmd/#']);
    for (const f of subscribe) expect(checkSubscribe('p07', f).ok).toBe(true);
    expect(subscribe.some((f) => filterMatches(f, 'wardwatch/v1/p08/cmd/ack'))).toBe(false);
  });

  it.each([
    ['a/+/c', 'a/b/c', true],
    ['a/#', 'a/b/c', true],
    ['a/+', 'a/b/c', false],
    ['a/b', 'a/b', true],
    ['a/b/c', 'a/b', false],
  ])('filter %s matches %s: %s', (filter, topic, ok) => {
    expect(filterMatches(filter, topic)).toBe(ok);
  });
});
