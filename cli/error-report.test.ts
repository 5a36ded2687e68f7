import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { locateFfmpeg } from '../shared/ffmpeg/locate.js';
import { errorReport, wantsStack } from './error-report.js';

describe('errorReport', () => {
  it.each([
    ['an Error', new Error('disk full'), 'wardwatch: disk full'],
    ['a code that is a number', Object.assign(new Error('child exited'), { code: 1 }), 'wardwatch: child exited'],
    ['a code that is an object', Object.assign(new Error('odd'), { code: { x: 1 } }), 'wardwatch: odd'],
    ['a thrown string', 'plain words', 'wardwatch: plain words'],
    ['a thrown object', { reason: 'x' }, 'wardwatch: {"reason":"x"}'],
    ['undefined', undefined, 'wardwatch: undefined'],
  ])('prints the message of %s', (_name, err, first) => {
    expect(errorReport(err, false)[0]).toBe(first);
  });

  it('shows the stack only when asked', () => {
    const err = new Error('boom');
    expect(errorReport(err, false).join('\n')).not.toContain('error-report.test.ts');
    expect(errorReport(err, true).join('\n')).toContain('error-report.test.ts');
  });

  it('names the cause', () => {
    const err = new Error('cannot start', { cause: new Error('EACCES /var/lib/wardwatch') });
    expect(errorReport(err, false)).toContain('  cause: EACCES /var/lib/wardwatch');
  });

  it("gives a failing ffmpeg's own last words: a missing input file", async () => {
    const { ffmpeg } = await locateFfmpeg({});
    const err = await promisify(execFile)(ffmpeg.path, ['-hide_banner', '-i', '/nonexistent/person.jpg', '-f', 'null', '-']).then(
      () => undefined,
      (e: unknown) => e,
    );
    const lines = errorReport(err, false);
    expect(lines[0]).toMatch(/^wardwatch: \S*ffmpeg\S* failed \(exit code 1\)$/);
    expect(lines.join('\n')).toContain('/nonexistent/person.jpg: No such file or directory');
  });
});

describe('wantsStack', () => {
  it.each([
    [['demo'], {}, false],
    [['demo', '--verbose'], {}, true],
    [['demo'], { DEBUG: '1' }, true],
    [['demo'], { DEBUG: '0' }, false],
    [['demo'], { DEBUG: '' }, false],
  ])('%j with %j → %s', (argv, env, want) => {
    expect(wantsStack(argv, env)).toBe(want);
  });
});
