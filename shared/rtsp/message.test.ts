// The RTSP wire format: requests and interleaved packets out of any chunking, and the bounds a server facing
// hostile networks keeps (request line, header block, header count, body).
import { describe, expect, it } from 'vitest';
import { formatResponse, RtspParseError, RtspReader, type RtspInput } from './message.js';

const describeReq = 'DESCRIBE rtsp://h/p01/cam-1 RTSP/1.0\r\nCSeq: 2\r\nAccept: application/sdp\r\n\r\n';
const setParam = 'SET_PARAMETER rtsp://h/p01/cam-1 RTSP/1.0\r\nCSeq: 3\r\nContent-Length: 5\r\n\r\nhello';
const rtcp = Buffer.from([0x24, 1, 0, 3, 9, 9, 9]);

function readAll(chunks: Buffer[]): RtspInput[] {
  const reader = new RtspReader();
  return chunks.flatMap((c) => reader.push(c));
}

describe('RtspReader', () => {
  it('reads requests, bodies and interleaved packets whatever the chunking', () => {
    const all = Buffer.concat([Buffer.from(describeReq), rtcp, Buffer.from(setParam)]);
    for (const size of [1, 7, all.length]) {
      const chunks: Buffer[] = [];
      for (let at = 0; at < all.length; at += size) chunks.push(all.subarray(at, at + size));
      const inputs = readAll(chunks);
      expect(inputs.map((i) => (i.kind === 'request' ? `${i.request.method} ${i.request.headers.get('cseq')} ${i.request.body.toString()}` : `$${i.packet.channel}:${i.packet.payload.length}`))).toEqual(['DESCRIBE 2 ', '$1:3', 'SET_PARAMETER 3 hello']);
    }
  });

  it.each([
    ['a request line past 4 KiB', `DESCRIBE rtsp://h/${'a'.repeat(5000)}`],
    ['a header block past 16 KiB', `OPTIONS * RTSP/1.0\r\n${'X-Pad: yyyyyyyy\r\n'.repeat(1100)}`],
    ['more than 64 headers', `OPTIONS * RTSP/1.0\r\n${'X: y\r\n'.repeat(65)}\r\n`],
    ['a body past 64 KiB', 'SET_PARAMETER * RTSP/1.0\r\nContent-Length: 70000\r\n\r\n'],
    ['a negative Content-Length', 'SET_PARAMETER * RTSP/1.0\r\nContent-Length: -1\r\n\r\n'],
    ['HTTP instead of RTSP', 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'],
  ])('refuses %s', (_name, text) => {
    expect(() => readAll([Buffer.from(text)])).toThrow(RtspParseError);
  });
});

describe('formatResponse', () => {
  it('echoes CSeq, names the server, counts the body in bytes', () => {
    const text = formatResponse(403, '4', { 'Content-Type': 'text/plain; charset=utf-8' }, 'camera cam-2 of ward p01 is not granted to the city — ask the district\r\n', 'Wardwatch hub').toString();
    expect(text.split('\r\n').slice(0, 4)).toEqual(['RTSP/1.0 403 Forbidden', 'CSeq: 4', 'Server: Wardwatch hub', 'Content-Type: text/plain; charset=utf-8']);
    expect(text).toContain(`Content-Length: ${Buffer.byteLength('camera cam-2 of ward p01 is not granted to the city — ask the district\r\n')}`);
  });
});
