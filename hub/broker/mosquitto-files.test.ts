import { describe, expect, it } from 'vitest';
import { mergePasswordFile, mosquittoAcl, mosquittoPasswordLine, passwordFileUsers } from './mosquitto-files.js';

describe('Mosquitto files', () => {
  it('writes the same password line as mosquitto_passwd 2.0 for the same salt', () => {
    // `mosquitto_passwd -c -b pw alice secret` (Debian's Mosquitto 2.0.11) wrote this line
    const fromTool = 'alice:$7$101$QldMASyIg0fE0IrS$di2lwPMzWYORoB2XdPUPeW9apFNYrPsmkjUAnM43PD7XF4rvjeLNKhkyg5zhIiO2OzV9IeEsG/HpxSxMGqsC3Q==';
    expect(mosquittoPasswordLine('alice', 'secret', Buffer.from('QldMASyIg0fE0IrS', 'base64'))).toBe(fromTool);
    expect(() => mosquittoPasswordLine('a:b', 'x')).toThrow(/cannot go into a Mosquitto password file/);
  });

  it.each([
    ['adds a new user', '', [['hub', 'hub:H1']], [], 'hub:H1\n'],
    ['replaces a user\'s line in place', 'ward-p07:A\nhub:H0\n', [['hub', 'hub:H1']], ['ward-p07'], 'ward-p07:A\nhub:H1\n'],
    ['drops users neither set nor kept (a revoked ward)', 'ward-p07:A\nward-p08:B\n', [['hub', 'hub:H1']], ['ward-p07'], 'ward-p07:A\nhub:H1\n'],
    ['drops comments and blank lines, keeps one line per user', '# x\n\nward-p07:A\nward-p07:B\n', [], ['ward-p07'], 'ward-p07:A\n'],
  ] as const)('password file: %s', (_name, before, set, keep, after) => {
    expect(mergePasswordFile(before, new Map(set.map(([u, l]) => [u, l])), new Set(keep))).toBe(after);
    expect(passwordFileUsers(after).size).toBe(after.split('\n').filter(Boolean).length);
  });

  it('the ACL gives the hub every ward\'s topics and each ward only its own table', () => {
    const acl = mosquittoAcl({ hubUsername: 'wardwatch-hub', wards: ['p07', 'p08'] });
    const section = (user: string) => acl.split(`user ${user}\n`)[1]!.split('\n\n')[0]!.trim().split('\n');
    expect(section('wardwatch-hub')).toEqual(['topic read wardwatch/v1/#', 'topic write wardwatch/v1/+/cmd/#']);
    expect(section('ward-p07')).toEqual([
      'topic write wardwatch/v1/p07/status',
      'topic write wardwatch/v1/p07/cameras/+/status',
      'topic write wardwatch/v1/p07/events',
      'topic write wardwatch/v1/p07/sightings',
      'topic write wardwatch/v1/p07/counts',
      'topic write wardwatch/v1/p07/retrievals',
      'topic write wardwatch/v1/p07/clips/+/+',
      'topic read wardwatch/v1/p07/cmd/#',
    ]);
    expect(section('ward-p08').every((l) => l.includes('/p08/'))).toBe(true);
  });
});
