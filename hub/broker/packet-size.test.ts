import { describe, expect, it } from 'vitest';
import { checkDeclaredSize, CONTROL_MAX_BYTES, FixedHeaderReader, LOGIN_MAX_BYTES, PUBLISH_OVERHEAD_BYTES, type PacketHeader } from './packet-size.js';

const MAX_PAYLOAD = 1024 * 1024;

/** A packet of `type` whose body is `bodyBytes` zero bytes, header and varint included. */
function packet(type: number, bodyBytes: number, flags = 0): Buffer {
  const length: number[] = [];
  let n = bodyBytes;
  do {
    const digit = n % 128;
    n = Math.floor(n / 128);
    length.push(n > 0 ? digit | 0x80 : digit);
  } while (n > 0);
  return Buffer.concat([Buffer.from([(type << 4) | flags, ...length]), Buffer.alloc(bodyBytes)]);
}

const header = (type: number, remainingLength: number, over: Partial<PacketHeader> = {}): PacketHeader => ({ type, remainingLength, totalBytes: remainingLength + 2, index: 1, offset: 100, ...over });

describe('checkDeclaredSize', () => {
  it.each([
    ['a CONNECT of 200 bytes', header(1, 200, { index: 0, offset: 0 }), false, true],
    ['a CONNECT declaring 256 MiB', header(1, 268_435_455, { index: 0, offset: 0 }), false, false],
    ['a CONNECT just within the login budget', header(1, LOGIN_MAX_BYTES - 4, { index: 0, offset: 0, totalBytes: LOGIN_MAX_BYTES }), false, true],
    ['a CONNECT one byte over the login budget', header(1, LOGIN_MAX_BYTES - 3, { index: 0, offset: 0, totalBytes: LOGIN_MAX_BYTES + 1 }), false, false],
    ['a first packet that is a PUBLISH', header(3, 10, { index: 0, offset: 0 }), false, false],
    ['a small PUBLISH pipelined behind the CONNECT', header(3, 1000, { index: 1, offset: 200 }), false, true],
    ['a PUBLISH before login that overruns the login budget', header(3, 70_000, { index: 1, offset: 200 }), false, false],
    ['a PUBLISH of maxPayloadBytes after login', header(3, MAX_PAYLOAD + 100), true, true],
    ['a PUBLISH at maxPayloadBytes + its topic allowance', header(3, MAX_PAYLOAD + PUBLISH_OVERHEAD_BYTES), true, true],
    ['a PUBLISH one byte beyond that', header(3, MAX_PAYLOAD + PUBLISH_OVERHEAD_BYTES + 1), true, false],
    ['a PUBLISH declaring 256 MiB after login', header(3, 268_435_455), true, false],
    ['a SUBSCRIBE of a few filters', header(8, 60), true, true],
    ['a SUBSCRIBE of 20 000 filters', header(8, 400_000), true, false],
    ['a SUBSCRIBE at the control limit', header(8, CONTROL_MAX_BYTES), true, true],
    ['a PINGREQ', header(12, 0), true, true],
    ['a PUBACK', header(4, 2), true, true],
    ['reserved type 0', header(0, 0), true, false],
    ['reserved type 15', header(15, 0), true, false],
  ])('%s (logged in: %s): allowed %s', (_name, h, loggedIn, ok) => {
    expect(checkDeclaredSize(h, { loggedIn, maxPayloadBytes: MAX_PAYLOAD }).ok).toBe(ok);
  });

  it('names the packet, the declared size and the limit in the reason', () => {
    expect(checkDeclaredSize(header(1, 268_435_455, { index: 0, offset: 0 }), { loggedIn: false, maxPayloadBytes: MAX_PAYLOAD })).toEqual({
      ok: false,
      reason: 'CONNECT declares 268435455 bytes: at most 65536 bytes may come before login',
    });
    expect(checkDeclaredSize(header(3, 5_000_000), { loggedIn: true, maxPayloadBytes: MAX_PAYLOAD })).toEqual({
      ok: false,
      reason: 'PUBLISH declares 5000000 bytes: more than maxPayloadBytes 1048576 + 1024 for its topic',
    });
  });
});

describe('FixedHeaderReader', () => {
  const stream = Buffer.concat([packet(1, 40), packet(3, 300, 2), packet(12, 0), packet(3, 20_000), packet(4, 2), packet(8, 130, 2), packet(14, 0)]);
  const expected = [
    { type: 1, remainingLength: 40, totalBytes: 42, index: 0, offset: 0 },
    { type: 3, remainingLength: 300, totalBytes: 303, index: 1, offset: 42 },
    { type: 12, remainingLength: 0, totalBytes: 2, index: 2, offset: 345 },
    { type: 3, remainingLength: 20_000, totalBytes: 20_004, index: 3, offset: 347 },
    { type: 4, remainingLength: 2, totalBytes: 4, index: 4, offset: 20_351 },
    { type: 8, remainingLength: 130, totalBytes: 133, index: 5, offset: 20_355 },
    { type: 14, remainingLength: 0, totalBytes: 2, index: 6, offset: 20_488 },
  ];

  function read(chunks: Buffer[]): PacketHeader[] {
    const seen: PacketHeader[] = [];
    const reader = new FixedHeaderReader((h) => (seen.push(h), { ok: true }));
    for (const c of chunks) if (!reader.feed(c).ok) throw new Error('refused');
    return seen;
  }

  it.each([
    ['in one chunk', [stream]],
    ['byte by byte', [...stream].map((b) => Buffer.from([b]))],
    ['in chunks of 7 bytes', Array.from({ length: Math.ceil(stream.length / 7) }, (_, i) => stream.subarray(i * 7, i * 7 + 7))],
    ['split inside a varint', [stream.subarray(0, 44), stream.subarray(44, 348), stream.subarray(348, 349), stream.subarray(349)]],
  ])('finds every header of back-to-back packets read %s', (_name, chunks) => {
    expect(read(chunks)).toEqual(expected);
  });

  it('judges a header as soon as its varint ends, before any of its body', () => {
    const reader = new FixedHeaderReader((h) => (h.remainingLength > 1000 ? { ok: false, reason: 'too big' } : { ok: true }));
    expect(reader.feed(Buffer.from([0x10, 0xff, 0xff])).ok).toBe(true); // varint not finished yet
    expect(reader.feed(Buffer.from([0xff, 0x7f]))).toEqual({ ok: false, reason: 'too big' });
    expect(reader.feed(Buffer.alloc(10)).ok).toBe(false); // and stays refused
  });

  it('refuses a remaining length of more than four bytes', () => {
    const reader = new FixedHeaderReader(() => ({ ok: true }));
    expect(reader.feed(Buffer.from([0x30, 0x80, 0x80, 0x80, 0x80, 0x01]))).toEqual({ ok: false, reason: 'PUBLISH has a remaining length of more than 4 bytes: not MQTT' });
  });
});
