// MQTT topic names of contract v1: builders and one parser, so no module spells a topic by hand.
import { ID_HINT, ID_PATTERN, ULID_PATTERN } from './ids.js';

export const CONTRACT_VERSION = 'v1';
export const TOPIC_ROOT = `wardwatch/${CONTRACT_VERSION}`;

export class TopicIdError extends Error {
  readonly code = 'BAD_TOPIC_ID';
}

function checkId(kind: string, value: string): string {
  if (!ID_PATTERN.test(value)) throw new TopicIdError(`${kind} id ${JSON.stringify(value)} cannot be used in a topic: ${ID_HINT}`);
  return value;
}

function checkEventId(value: string): string {
  if (!ULID_PATTERN.test(value)) throw new TopicIdError(`event id ${JSON.stringify(value)} is not a ULID`);
  return value;
}

export const topics = {
  wardRoot: (ward: string) => `${TOPIC_ROOT}/${checkId('ward', ward)}`,
  wardStatus: (ward: string) => `${TOPIC_ROOT}/${checkId('ward', ward)}/status`,
  cameraStatus: (ward: string, camera: string) =>
    `${TOPIC_ROOT}/${checkId('ward', ward)}/cameras/${checkId('camera', camera)}/status`,
  events: (ward: string) => `${TOPIC_ROOT}/${checkId('ward', ward)}/events`,
  /** batches of what passed the ward's cameras */
  sightings: (ward: string) => `${TOPIC_ROOT}/${checkId('ward', ward)}/sightings`,
  /** counting lines, one message per camera-minute */
  counts: (ward: string) => `${TOPIC_ROOT}/${checkId('ward', ward)}/counts`,
  clipManifest: (ward: string, eventId: string) =>
    `${TOPIC_ROOT}/${checkId('ward', ward)}/clips/${checkEventId(eventId)}/manifest`,
  clipChunk: (ward: string, eventId: string, index: number) => {
    if (!Number.isInteger(index) || index < 0) throw new TopicIdError(`chunk index must be a whole number ≥ 0 (got ${index})`);
    return `${TOPIC_ROOT}/${checkId('ward', ward)}/clips/${checkEventId(eventId)}/${index}`;
  },
  /** a ward's answers to `cmd/retrieve` */
  retrievals: (ward: string) => `${TOPIC_ROOT}/${checkId('ward', ward)}/retrievals`,
  command: (ward: string, name: string) => `${TOPIC_ROOT}/${checkId('ward', ward)}/cmd/${checkId('command', name)}`,
  /** what a ward subscribes to (its own commands) */
  commandFilter: (ward: string) => `${TOPIC_ROOT}/${checkId('ward', ward)}/cmd/#`,
  /** what the hub's ingest subscribes to */
  ingestFilter: () => `${TOPIC_ROOT}/+/#`,
};

export type ParsedTopic =
  | { kind: 'wardStatus'; ward: string }
  | { kind: 'cameraStatus'; ward: string; camera: string }
  | { kind: 'events'; ward: string }
  | { kind: 'sightings'; ward: string }
  | { kind: 'counts'; ward: string }
  | { kind: 'retrievals'; ward: string }
  | { kind: 'clipManifest'; ward: string; eventId: string }
  | { kind: 'clipChunk'; ward: string; eventId: string; index: number }
  | { kind: 'command'; ward: string; name: string };

/** Parses a contract topic; `undefined` for anything that is not one (wrong root, bad id, unknown shape). */
export function parseTopic(topic: string): ParsedTopic | undefined {
  const parts = topic.split('/');
  if (parts[0] !== 'wardwatch' || parts[1] !== CONTRACT_VERSION) return undefined;
  const ward = parts[2];
  if (ward === undefined || !ID_PATTERN.test(ward)) return undefined;
  const rest = parts.slice(3);
  const [a, b, c] = rest;
  if (rest.length === 1 && a === 'status') return { kind: 'wardStatus', ward };
  if (rest.length === 1 && a === 'events') return { kind: 'events', ward };
  if (rest.length === 1 && a === 'sightings') return { kind: 'sightings', ward };
  if (rest.length === 1 && a === 'counts') return { kind: 'counts', ward };
  if (rest.length === 1 && a === 'retrievals') return { kind: 'retrievals', ward };
  if (rest.length === 3 && a === 'cameras' && c === 'status' && b && ID_PATTERN.test(b)) {
    return { kind: 'cameraStatus', ward, camera: b };
  }
  if (rest.length === 3 && a === 'clips' && b && ULID_PATTERN.test(b) && c !== undefined) {
    if (c === 'manifest') return { kind: 'clipManifest', ward, eventId: b };
    if (/^(0|[1-9]\d{0,5})$/.test(c)) return { kind: 'clipChunk', ward, eventId: b, index: Number(c) };
  }
  if (rest.length === 2 && a === 'cmd' && b && ID_PATTERN.test(b)) return { kind: 'command', ward, name: b };
  return undefined;
}
