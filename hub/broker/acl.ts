// Who may do what on the broker: pure decisions on usernames, client ids, topics and sizes, tested by tables.
import { ID_PATTERN, parseTopic, topics } from '../../shared/contract/index.js';

export type Decision = { ok: true } | { ok: false; reason: string };

const ALLOW: Decision = { ok: true };
const refuse = (reason: string): Decision => ({ ok: false, reason });

/** A ward logs in as `ward-<id>`; anything else is not a ward (and may be a token typed in the wrong field). */
export function wardOfUsername(username: string | undefined): string | undefined {
  if (username === undefined || !username.startsWith('ward-')) return undefined;
  const id = username.slice('ward-'.length);
  return ID_PATTERN.test(id) ? id : undefined;
}

/** The username as it may be logged: a ward's, or `***` (someone may have typed the token into it). */
export function loggableUsername(username: string | undefined): string | undefined {
  if (username === undefined) return undefined;
  return wardOfUsername(username) === undefined ? '***' : username;
}

/** Separator between `ward-<id>` and an optional suffix in a client id. Ward ids may contain `-` and `_`,
 *  so a `-` suffix would let ward `p07` take the client id `ward-p07-b` of ward `p07-b` and kick it off. */
export const CLIENT_ID_SUFFIX_SEPARATOR = ':';

/** A ward's client id is `ward-<id>` or `ward-<id>:<suffix>`, so it can never take over another ward's session. */
export function checkClientId(ward: string, clientId: string): Decision {
  const own = `ward-${ward}`;
  if (clientId === own || clientId.startsWith(own + CLIENT_ID_SUFFIX_SEPARATOR)) return ALLOW;
  return refuse(`client id "${clientId}" is not "${own}" or "${own}${CLIENT_ID_SUFFIX_SEPARATOR}…"`);
}

/** A ward publishes only contract topics under its own prefix, and never commands (those go hub → ward). */
export function checkPublish(ward: string, topic: string): Decision {
  const parsed = parseTopic(topic);
  if (!parsed) return refuse(`publish to "${topic}": not a contract topic`);
  if (parsed.ward !== ward) return refuse(`publish to "${topic}": another ward's topic`);
  if (parsed.kind === 'command') return refuse(`publish to "${topic}": commands come from the hub`);
  return ALLOW;
}

/** A ward subscribes only to its own `cmd/#` or to filters inside it; no wildcard may reach past its own commands. */
export function checkSubscribe(ward: string, filter: string): Decision {
  const prefix = topics.commandFilter(ward).slice(0, -1); // `wardwatch/v1/<ward>/cmd/`
  if (!filter.startsWith(prefix)) return refuse(`subscribe to "${filter}": outside ${prefix}#`);
  const rest = filter.slice(prefix.length);
  if (rest === '#') return ALLOW;
  const levels = rest.split('/');
  // inside cmd/ the wildcards are harmless, but must be well formed: `+` a whole level, `#` only last
  const wellFormed = levels.every((l, i) => l === '+' || (l === '#' && i === levels.length - 1) || (l.length > 0 && !/[+#]/.test(l)));
  return wellFormed ? ALLOW : refuse(`subscribe to "${filter}": malformed filter`);
}

/**
 * What a ward publishes, below `wardwatch/v1/<ward>/`, as MQTT filters: the table checkPublish enforces (acl.test.ts
 * holds the two together), written into an external broker's ACL file (hub/broker/mosquitto-files.ts) and
 * subscribed to by the hub's ingest there (hub/broker/external.ts).
 */
export const WARD_PUBLISH_LEVELS = ['status', 'cameras/+/status', 'events', 'sightings', 'counts', 'retrievals', 'clips/+/+'] as const;

/** A ward's rights as topic filters: publish under its own prefix (the table above), read only its own commands. */
export function wardTopicTable(ward: string): { publish: string[]; subscribe: string[] } {
  const root = topics.wardRoot(ward);
  return { publish: WARD_PUBLISH_LEVELS.map((l) => `${root}/${l}`), subscribe: [topics.commandFilter(ward)] };
}

/** Whether an MQTT topic filter (`+`, `#`) matches a topic. */
export function filterMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}

/** Largest retained status: a box's status is under 5 KiB (20 alarms of 200 characters at most). */
export const MAX_RETAINED_BYTES = 16 * 1024;

/**
 * Retained messages stay in the broker's memory until replaced, so only the two status topics keep them: one per ward
 * and one per camera, each replaced in place by the next status.
 */
export function checkRetain(topic: string, payloadBytes: number): Decision {
  const kind = parseTopic(topic)?.kind;
  if (kind !== 'wardStatus' && kind !== 'cameraStatus') return refuse(`retain on "${topic}": only status topics are retained`);
  if (payloadBytes > MAX_RETAINED_BYTES) return refuse(`retain on "${topic}": a status of ${payloadBytes} bytes is more than ${MAX_RETAINED_BYTES}`);
  return ALLOW;
}

export function checkPayloadSize(bytes: number, maxPayloadBytes: number): Decision {
  return bytes <= maxPayloadBytes ? ALLOW : refuse(`payload of ${bytes} bytes exceeds maxPayloadBytes ${maxPayloadBytes}`);
}
