// Mosquitto's password and ACL files for external broker mode: the same topic table as the embedded broker (acl.ts),
// and password lines in Mosquitto 2's own format, so `mosquitto_passwd` is not needed.
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { TOPIC_ROOT } from '../../shared/contract/index.js';
import { wardTopicTable } from './acl.js';

/** Mosquitto 2's `$7$` line: PBKDF2-HMAC-SHA512, 101 iterations, 12-byte salt (what `mosquitto_passwd` writes). */
export function mosquittoPasswordLine(username: string, password: string, salt: Buffer = randomBytes(12), iterations = 101): string {
  if (/[:\s]/.test(username)) throw new Error(`user name ${JSON.stringify(username)} cannot go into a Mosquitto password file (no ":" or spaces)`);
  const hash = pbkdf2Sync(password, salt, iterations, 64, 'sha512');
  return `${username}:$7$${iterations}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** The user name at the start of a password file line, or undefined for a blank or comment line. */
function userOf(line: string): string | undefined {
  if (!line.trim() || line.startsWith('#')) return undefined;
  const i = line.indexOf(':');
  return i > 0 ? line.slice(0, i) : undefined;
}

/**
 * A password file with `set`'s lines put in (replacing a user's line, or added at the end), the users in `keep`
 * kept, and every other user's line dropped (a ward no longer in hub.yaml, or revoked, can no longer log in).
 */
export function mergePasswordFile(existing: string, set: ReadonlyMap<string, string>, keep: ReadonlySet<string>): string {
  const out: string[] = [];
  const done = new Set<string>();
  for (const line of existing.split('\n')) {
    const user = userOf(line);
    if (user === undefined) continue;
    if (set.has(user)) {
      if (!done.has(user)) out.push(set.get(user)!);
      done.add(user);
    } else if (keep.has(user) && !done.has(user)) {
      out.push(line);
      done.add(user);
    }
  }
  for (const [user, line] of set) if (!done.has(user)) out.push(line);
  return out.length ? `${out.join('\n')}\n` : '';
}

/** Users of a password file. */
export function passwordFileUsers(text: string): Set<string> {
  return new Set(text.split('\n').map(userOf).filter((u): u is string => u !== undefined));
}

/** The ACL file: the hub reads every ward's topics and writes their commands; each ward its own table (acl.ts). */
export function mosquittoAcl(o: { hubUsername: string; wards: readonly string[] }): string {
  const lines = [
    '# Written by `wardwatch provision mosquitto` from hub.yaml: the embedded broker\'s table (hub/broker/acl.ts).',
    '# Anything not listed is refused. Edit hub.yaml and run the command again rather than this file.',
    '',
    `user ${o.hubUsername}`,
    `topic read ${TOPIC_ROOT}/#`,
    `topic write ${TOPIC_ROOT}/+/cmd/#`,
  ];
  for (const ward of o.wards) {
    const table = wardTopicTable(ward);
    lines.push('', `user ward-${ward}`, ...table.publish.map((t) => `topic write ${t}`), ...table.subscribe.map((t) => `topic read ${t}`));
  }
  return `${lines.join('\n')}\n`;
}
