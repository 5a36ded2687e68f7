// Whether the box's clock is NTP-synchronised, as systemd says: `timedatectl` (the kernel's flag, whichever NTP
// client keeps it: timesyncd, chrony, ntpd), else the flag file systemd-timesyncd leaves; `unknown` when neither can say.
import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import type { NtpState } from '../../shared/contract/index.js';

/** Created by systemd-timesyncd once it has synchronised the clock (systemd ≥ 239). */
export const TIMESYNC_FLAG = '/run/systemd/timesync/synchronized';

/** What the box could find out: `timedatectl show -p NTPSynchronized --value` (undefined when it failed), and the flag file. */
export interface NtpFacts {
  timedatectl: string | undefined;
  timesyncFlag: boolean;
}

/** The box's NTP state from what it found out (pure). */
export function ntpState({ timedatectl, timesyncFlag }: NtpFacts): NtpState {
  const answer = timedatectl?.trim().toLowerCase();
  if (answer === 'yes') return 'synced';
  if (answer === 'no') return 'unsynced';
  // without timedatectl, the flag file can say yes; its absence proves nothing (chrony or ntpd leave none)
  return timesyncFlag ? 'synced' : 'unknown';
}

function timedatectl(timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    // no systemd as PID 1 (containers, CI) or no D-Bus: it fails, and says nothing
    execFile('timedatectl', ['show', '-p', 'NTPSynchronized', '--value'], { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout) => resolve(err ? undefined : stdout));
  });
}

/** Asks this machine; never throws. */
export async function readNtpState(timeoutMs = 3000): Promise<NtpState> {
  const [answer, timesyncFlag] = await Promise.all([
    timedatectl(timeoutMs),
    access(TIMESYNC_FLAG).then(
      () => true,
      () => false,
    ),
  ]);
  return ntpState({ timedatectl: answer, timesyncFlag });
}
