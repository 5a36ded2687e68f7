import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, redactUrl } from './log.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { lines, logger: createLogger({ name: 'test', destination, pretty: false }) };
}

describe('logging', () => {
  it.each([
    ['rtsp://admin:secret@10.0.0.5:554/main', 'rtsp://admin:***@10.0.0.5:554/main'],
    ['rtsp://admin@10.0.0.5/main', 'rtsp://admin:***@10.0.0.5/main'],
    ['ffmpeg -i rtsp://u:p%40ss@1.2.3.4/a -c copy', 'ffmpeg -i rtsp://u:***@1.2.3.4/a -c copy'],
    ['mqtts://ward-p07:tok@hub:8883', 'mqtts://ward-p07:***@hub:8883'],
    ['rtsp://10.0.0.5/main', 'rtsp://10.0.0.5/main'],
  ])('redacts %s', (input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });

  it('writes JSON lines with credentials redacted in messages, fields and nested objects', () => {
    const { lines, logger } = capture();
    logger.info({ url: 'rtsp://admin:secret@10.0.0.5/main', camera: { args: ['-i', 'rtsp://a:b@1.1.1.1/x'] }, password: 'hunter2' }, 'starting rtsp://admin:secret@10.0.0.5/main');
    const text = lines.join('');
    expect(text).not.toContain('secret');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain(':b@');
    const line = JSON.parse(lines[0]!) as { msg: string; url: string; level: number };
    expect(line.msg).toBe('starting rtsp://admin:***@10.0.0.5/main');
    expect(line.url).toBe('rtsp://admin:***@10.0.0.5/main');
    expect(line.level).toBe(30);
  });
});
