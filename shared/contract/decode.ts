// Turns an MQTT message into a validated contract message, or a reason it was refused.
import type { z } from 'zod';
import { parseTopic, type ParsedTopic } from './topics.js';
import { commandSchemas, payloadSchemas, type AckCommand, type CameraStatus, type ClipManifest, type CommandName, type CountsMessage, type DeliveryCommand, type EventMessage, type SightingsMessage, type LiveCommand, type RetrievalStatus, type RetrieveCancelCommand, type RetrieveCommand, type WardStatus } from './messages.js';

export type Decoded =
  | { kind: 'wardStatus'; topic: ParsedTopic & { kind: 'wardStatus' }; payload: WardStatus }
  | { kind: 'cameraStatus'; topic: ParsedTopic & { kind: 'cameraStatus' }; payload: CameraStatus }
  | { kind: 'events'; topic: ParsedTopic & { kind: 'events' }; payload: EventMessage }
  | { kind: 'sightings'; topic: ParsedTopic & { kind: 'sightings' }; payload: SightingsMessage }
  | { kind: 'counts'; topic: ParsedTopic & { kind: 'counts' }; payload: CountsMessage }
  | { kind: 'clipManifest'; topic: ParsedTopic & { kind: 'clipManifest' }; payload: ClipManifest }
  | { kind: 'retrievals'; topic: ParsedTopic & { kind: 'retrievals' }; payload: RetrievalStatus }
  | { kind: 'clipChunk'; topic: ParsedTopic & { kind: 'clipChunk' }; payload: Buffer };

export type DecodeResult = { ok: true; message: Decoded } | { ok: false; reason: string };

/** Formats zod issues as `field.path: message; …` for logs and counters. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(payload)'}: ${i.message}`)
    .join('; ');
}

/** Decodes a message from a ward. Also checks that ids inside the payload agree with the topic. */
export function decodeMessage(topicName: string, payload: Buffer): DecodeResult {
  const topic = parseTopic(topicName);
  if (!topic) return { ok: false, reason: `not a contract topic: ${topicName}` };
  if (topic.kind === 'command') return { ok: false, reason: 'commands go from the hub to a ward, not back' };
  if (topic.kind === 'clipChunk') return { ok: true, message: { kind: 'clipChunk', topic, payload } };

  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch {
    return { ok: false, reason: `malformed JSON on ${topic.kind}` };
  }
  const parsed = payloadSchemas[topic.kind].safeParse(json);
  if (!parsed.success) return { ok: false, reason: `invalid ${topic.kind}: ${describeIssues(parsed.error)}` };
  const data = parsed.data;

  switch (topic.kind) {
    case 'wardStatus': {
      const p = data as WardStatus;
      if (p.ward !== topic.ward) return { ok: false, reason: `ward ${p.ward} in payload differs from topic ward ${topic.ward}` };
      return { ok: true, message: { kind: 'wardStatus', topic, payload: p } };
    }
    case 'cameraStatus': {
      const p = data as CameraStatus;
      if (p.ward !== topic.ward || p.camera !== topic.camera) return { ok: false, reason: 'ward/camera in payload differ from the topic' };
      return { ok: true, message: { kind: 'cameraStatus', topic, payload: p } };
    }
    case 'events': {
      const p = data as EventMessage;
      if (p.event.ward !== topic.ward) return { ok: false, reason: `event.ward ${p.event.ward} differs from topic ward ${topic.ward}` };
      return { ok: true, message: { kind: 'events', topic, payload: p } };
    }
    case 'sightings': {
      const p = data as SightingsMessage;
      if (p.ward !== topic.ward) return { ok: false, reason: `ward ${p.ward} in payload differs from topic ward ${topic.ward}` };
      return { ok: true, message: { kind: 'sightings', topic, payload: p } };
    }
    case 'counts': {
      const p = data as CountsMessage;
      if (p.ward !== topic.ward) return { ok: false, reason: `ward ${p.ward} in payload differs from topic ward ${topic.ward}` };
      return { ok: true, message: { kind: 'counts', topic, payload: p } };
    }
    case 'clipManifest': {
      const p = data as ClipManifest;
      if (p.eventId !== topic.eventId) return { ok: false, reason: 'eventId in payload differs from the topic' };
      return { ok: true, message: { kind: 'clipManifest', topic, payload: p } };
    }
    case 'retrievals':
      return { ok: true, message: { kind: 'retrievals', topic, payload: data as RetrievalStatus } };
  }
}

export type DecodedCommand =
  | { name: 'retrieve'; payload: RetrieveCommand }
  | { name: 'retrieve-cancel'; payload: RetrieveCancelCommand }
  | { name: 'live'; payload: LiveCommand }
  | { name: 'ack'; payload: AckCommand }
  | { name: 'delivery'; payload: DeliveryCommand };

/** Decodes a command a ward received (`cmd/<name>`): an unknown name or a bad payload is a reason, not a throw. */
export function decodeCommand(name: string, payload: Buffer): { ok: true; command: DecodedCommand } | { ok: false; reason: string } {
  if (!Object.hasOwn(commandSchemas, name)) return { ok: false, reason: `unknown command "${name}" (known: ${Object.keys(commandSchemas).join(', ')})` };
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch {
    return { ok: false, reason: `malformed JSON in command ${name}` };
  }
  const parsed = commandSchemas[name as CommandName].safeParse(json);
  if (!parsed.success) return { ok: false, reason: `invalid command ${name}: ${describeIssues(parsed.error)}` };
  return { ok: true, command: { name, payload: parsed.data } as DecodedCommand };
}
