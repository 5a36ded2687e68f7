import { describe, expect, it } from 'vitest';
import { ntpState, readNtpState } from './ntp.js';

describe('the box\'s NTP state', () => {
  it.each([
    ['timedatectl says yes', 'yes\n', false, 'synced'],
    ['timedatectl says no', 'no\n', false, 'unsynced'],
    ['timedatectl says no, even beside a stale flag file', 'no\n', true, 'unsynced'],
    ['timedatectl says yes in capitals, with spaces', ' YES ', false, 'synced'],
    ['no timedatectl, but timesyncd\'s flag file', undefined, true, 'synced'],
    ['no timedatectl and no flag file (a container, chrony without systemd)', undefined, false, 'unknown'],
    ['timedatectl answers something else', 'n/a\n', false, 'unknown'],
    ['timedatectl answers nothing', '', false, 'unknown'],
  ] as const)('%s → %s', (_name, timedatectl, timesyncFlag, want) => {
    expect(ntpState({ timedatectl, timesyncFlag })).toBe(want);
  });

  it('asks this machine without failing, whatever it runs on', async () => {
    expect(['synced', 'unsynced', 'unknown']).toContain(await readNtpState());
  });
});
