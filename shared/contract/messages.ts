// Payload schemas of contract v1. Edge and hub validate with these same schemas; CONTRACT.md documents them.
import { z } from 'zod';
import { idSchema, ulidSchema } from './ids.js';

/** Labels the detector may report. Faces are not a label: face recognition is not part of Wardwatch, by design. */
export const LABELS = ['person', 'bicycle', 'car', 'motorcycle', 'bus', 'truck'] as const;
export const labelSchema = z.enum(LABELS);
export type Label = z.infer<typeof labelSchema>;

/** Milliseconds since the Unix epoch, UTC. */
const epochMs = z.number().int().min(0).max(8_640_000_000_000_000);
/** Every message that must arrive once carries a stable id, so the hub can drop repeats. */
const msgId = ulidSchema;

/** A box in normalised frame coordinates: 0–1 from the top-left corner. */
export const boxSchema = z
  .object({ x: z.number().min(0).max(1), y: z.number().min(0).max(1), w: z.number().min(0).max(1), h: z.number().min(0).max(1) })
  .strict();
export type Box = z.infer<typeof boxSchema>;

export const MAX_SNAPSHOT_BASE64 = 700_000; // ≈ 512 KiB of JPEG

/** Kinds of alert rule a box evaluates (edge.yaml `alerts`); an event names the rule that raised it. */
export const ALERT_KINDS = ['presence', 'dwell', 'wrong-way', 'crowd'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export const eventSchema = z
  .object({
    id: ulidSchema,
    ward: idSchema,
    camera: idSchema,
    label: labelSchema,
    score: z.number().min(0).max(1),
    topScore: z.number().min(0).max(1),
    box: boxSchema,
    zones: z.array(idSchema).max(32),
    start: epochMs,
    end: epochMs.nullable(),
    /** the alert rule that raised it (boxes before 0.2 send events without one: one per object) */
    rule: z.object({ id: idSchema, kind: z.enum(ALERT_KINDS) }).strict().optional(),
    /** JPEG of the best moment, base64; privacy masks already blacked out */
    snapshot: z.string().max(MAX_SNAPSHOT_BASE64).regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64').optional(),
  })
  .strict()
  .refine((e) => e.end === null || e.end >= e.start, { message: 'end must not be before start', path: ['end'] });
export type WardEvent = z.infer<typeof eventSchema>;

export const eventMessageSchema = z
  .object({ msgId, type: z.enum(['start', 'update', 'end']), event: eventSchema })
  .strict()
  .refine((m) => (m.type === 'end') === (m.event.end !== null), {
    message: 'an "end" message has event.end set, and only an "end" message has it',
    path: ['event', 'end'],
  });
export type EventMessage = z.infer<typeof eventMessageSchema>;

/** Vehicle colours, named from a fixed list (people get none). */
export const COLOURS = ['white', 'black', 'grey', 'silver', 'red', 'blue', 'yellow', 'green', 'brown', 'orange'] as const;
export type Colour = (typeof COLOURS)[number];

/** A vehicle thumbnail: JPEG, base64, at most 8 KB of JPEG (privacy masks applied; never a person). */
export const MAX_THUMBNAIL_BASE64 = 11_000;
const base64 = (max: number) => z.string().max(max).regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');

/** One object that passed a camera: a confirmed track, sent when it ends (or every few minutes while it stays). */
export const sightingSchema = z
  .object({
    /** stable: the same object keeps its id across the partial sightings of a long stay */
    id: ulidSchema,
    camera: idSchema,
    label: labelSchema,
    first: epochMs,
    last: epochMs,
    /** best detector score and the box at that moment (normalised) */
    score: z.number().min(0).max(1),
    box: boxSchema,
    bestAt: epochMs,
    /** direction of travel in the picture, degrees clockwise from "up the picture"; null when it barely moved */
    heading: z.number().min(0).max(360).nullable(),
    lines: z
      .array(z.object({ line: idSchema, direction: z.enum(['forward', 'backward']), at: epochMs }).strict())
      .max(64),
    zones: z.array(z.object({ zone: idSchema, seconds: z.number().min(0) }).strict()).max(32),
    /** vehicles only */
    colour: z.enum(COLOURS).optional(),
    thumbnail: base64(MAX_THUMBNAIL_BASE64).optional(),
    /** people riding this two-wheeler (persons merged into it by the tracker) */
    riders: z.number().int().min(0).max(10).optional(),
    /** false while the object is still in view (a periodic sighting of a long stay); true when its track ended */
    final: z.boolean(),
  })
  .strict()
  .refine((s) => s.last >= s.first, { message: 'last must not be before first', path: ['last'] })
  .refine((s) => s.label !== 'person' || (s.colour === undefined && s.thumbnail === undefined), {
    message: 'a person gets no colour and no picture',
    path: ['thumbnail'],
  });
export type Sighting = z.infer<typeof sightingSchema>;

export const MAX_SIGHTINGS_PER_MESSAGE = 500;
/**
 * Budget for one sightings message's JSON. The hub's broker closes the connection of a ward that publishes more
 * than `broker.maxPayloadBytes` (default 1 MiB) and the outbox would send it again for ever; 500 sightings with
 * thumbnails are ~5.5 MB. So a box cuts a batch at 500 sightings or at this many bytes, whichever comes first.
 */
export const MAX_SIGHTINGS_MESSAGE_BYTES = 512 * 1024;

export const sightingsMessageSchema = z
  .object({ msgId, ward: idSchema, camera: idSchema, sightings: z.array(sightingSchema).min(1).max(MAX_SIGHTINGS_PER_MESSAGE) })
  .strict()
  .refine((m) => m.sightings.every((s) => s.camera === m.camera), { message: 'every sighting must be of the message\'s camera', path: ['sightings'] });
export type SightingsMessage = z.infer<typeof sightingsMessageSchema>;

/** One camera-minute of counting lines: every (line, direction, label) counted in it; an empty list means "watched, none". */
export const countsMessageSchema = z
  .object({
    msgId,
    ward: idSchema,
    camera: idSchema,
    /** start of the minute (ms, a multiple of 60 000) */
    minute: epochMs.refine((m) => m % 60_000 === 0, 'must be the start of a minute (a multiple of 60000)'),
    counts: z
      .array(z.object({ line: idSchema, direction: z.enum(['forward', 'backward']), label: labelSchema, n: z.number().int().min(1) }).strict())
      .max(64 * 2 * 6),
  })
  .strict()
  // the hub keeps one number per (line, direction, label) and minute: a second entry would replace the first
  .refine((m) => new Set(m.counts.map((c) => `${c.line} ${c.direction} ${c.label}`)).size === m.counts.length, {
    message: 'each (line, direction, label) at most once per minute: add them up',
    path: ['counts'],
  });
export type CountsMessage = z.infer<typeof countsMessageSchema>;

export const CLIP_CHUNK_BYTES = 256 * 1024;
export const MAX_CLIP_BYTES = 2 * 1024 * 1024 * 1024;

export const clipManifestSchema = z
  .object({
    msgId,
    eventId: ulidSchema,
    camera: idSchema,
    contentType: z.literal('video/mp4'),
    bytes: z.number().int().min(1).max(MAX_CLIP_BYTES),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits'),
    chunkBytes: z.number().int().min(1024).max(1024 * 1024),
    chunks: z.number().int().min(1),
    start: epochMs,
    end: epochMs,
    /** set on a clip an operator asked for (`cmd/retrieve`); it then equals `eventId` and no incident is made */
    requestId: ulidSchema.optional(),
  })
  .strict()
  .refine((m) => m.chunks === Math.ceil(m.bytes / m.chunkBytes), {
    message: 'chunks must equal ceil(bytes / chunkBytes)',
    path: ['chunks'],
  })
  .refine((m) => m.requestId === undefined || m.requestId === m.eventId, {
    message: 'requestId must equal eventId (a retrieved clip travels under its request id)',
    path: ['requestId'],
  });
export type ClipManifest = z.infer<typeof clipManifestSchema>;

/** Whether the box's clock is NTP-synchronised, as the box's systemd says; `unknown` where it cannot say. */
export const NTP_STATES = ['synced', 'unsynced', 'unknown'] as const;
export type NtpState = (typeof NTP_STATES)[number];

/** A camera clock further than this from the box's is shown as a warning (pages, `provision probe`). */
export const CLOCK_SKEW_WARN_MS = 2000;

/** Whether a camera's measured clock skew (camera − box, ms) is worth a warning; unknown (null) is not. */
export function clockSkewed(skewMs: number | null | undefined): boolean {
  return skewMs !== null && skewMs !== undefined && Math.abs(skewMs) > CLOCK_SKEW_WARN_MS;
}

export const wardStatusSchema = z.discriminatedUnion('state', [
  z
    .object({
      state: z.literal('online'),
      ward: idSchema,
      version: z.string().max(64),
      startedAt: epochMs,
      at: epochMs,
      disk: z.object({ freeBytes: z.number().int().min(0), totalBytes: z.number().int().min(0) }).strict(),
      outboxDepth: z.number().int().min(0),
      cameras: z.object({ recording: z.number().int().min(0), total: z.number().int().min(0) }).strict(),
      detector: z.enum(['onnx', 'motion-only', 'off']),
      /** where the detector model came from (boxes before 0.2 do not say) */
      model: z.enum(['configured', 'installed', 'packaged']).optional(),
      alarms: z.array(z.string().max(200)).max(20),
      /** the box's clock, the reference for every time it sends (older boxes do not say) */
      clock: z.object({ ntp: z.enum(NTP_STATES) }).strict().optional(),
    })
    .strict(),
  /** the broker publishes this as the ward's Last Will when the box vanishes */
  z.object({ state: z.literal('offline'), ward: idSchema }).strict(),
]);
export type WardStatus = z.infer<typeof wardStatusSchema>;

export const cameraStatusSchema = z
  .object({
    ward: idSchema,
    camera: idSchema,
    state: z.enum(['recording', 'stalled', 'offline', 'disabled']),
    at: epochMs,
    lastSegmentAt: epochMs.nullable(),
    gapsToday: z.number().int().min(0),
    bytesPerSecond: z.number().min(0),
    detectFps: z.number().min(0),
    /** the street, per minute (boxes before 0.2 do not say): a flood or a blind detector shows here */
    sightingsPerMin: z.number().int().min(0).optional(),
    alertsPerMin: z.number().int().min(0).optional(),
    /** frames the detector could not take in time, over the last minute */
    framesLostPerMin: z.number().int().min(0).optional(),
    /** frames the detector answered per second over the last minute (the effective detect rate), and frames skipped by the overload plan; older boxes do not say */
    detectedFps: z.number().min(0).optional(),
    framesSkippedPerMin: z.number().int().min(0).optional(),
    /** camera clock minus box clock in ms (ONVIF GetSystemDateAndTime); null when unknown (no ONVIF, no answer); older boxes do not say */
    clockSkewMs: z.number().int().nullable().optional(),
    /** where the camera is (edge.yaml cameras[].location), for the hub's "within R metres" search; older boxes do not say */
    location: z.object({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180) }).strict().optional(),
  })
  .strict();
export type CameraStatus = z.infer<typeof cameraStatusSchema>;

/** `cmd/retrieve`: the hub asks a ward for the recording of one camera over [from, to). */
export const retrieveCommandSchema = z
  .object({
    msgId,
    requestId: ulidSchema,
    camera: idSchema,
    from: epochMs,
    to: epochMs,
    /** the operator's user name, for the ward's audit log */
    requestedBy: z.string().min(1).max(64),
  })
  .strict()
  .refine((c) => c.to > c.from, { message: 'to must be later than from', path: ['to'] });
export type RetrieveCommand = z.infer<typeof retrieveCommandSchema>;

/** `cmd/retrieve-cancel`: the operator no longer wants a `cmd/retrieve`; the ward drops what is left of it. */
export const retrieveCancelCommandSchema = z
  .object({
    msgId,
    requestId: ulidSchema,
    /** the operator's user name, for the ward's audit log */
    cancelledBy: z.string().min(1).max(64),
  })
  .strict();
export type RetrieveCancelCommand = z.infer<typeof retrieveCancelCommandSchema>;

/** Token of a live relay: random, single-use, 32–128 URL-safe characters. */
export const RELAY_TOKEN_PATTERN = /^[A-Za-z0-9_-]{32,128}$/;

/** `cmd/live`: the hub asks a ward to push one camera stream live (fragmented MP4) to a hub WebSocket. */
export const liveCommandSchema = z
  .object({
    msgId,
    /** the hub's relay; also the last path segment of `url` */
    relayId: ulidSchema,
    camera: idSchema,
    stream: z.enum(['main', 'sub']),
    /** the hub WebSocket the ward connects out to (boxes sit behind NAT) */
    url: z.url({ protocol: /^wss?$/, error: 'must be a ws:// or wss:// URL' }).max(2048),
    /** presented once, in the Authorization header (`Bearer <token>`) */
    token: z.string().regex(RELAY_TOKEN_PATTERN, { message: 'must be 32–128 URL-safe characters (A-Z a-z 0-9 _ -)' }),
    /** the operator's user name, for the ward's audit log */
    requestedBy: z.string().min(1).max(64),
  })
  .strict();
export type LiveCommand = z.infer<typeof liveCommandSchema>;

/** Most message ids, and most clip chunks, one `cmd/ack` confirms (≈ 30 KiB of JSON at most). */
export const MAX_ACK_IDS = 1000;

/**
 * `cmd/ack`: the hub has committed these messages (by `msgId`) and clip chunks (by event id and index), or dropped
 * them as invalid for good; the box may take them out of its outbox. Repeats are harmless.
 */
export const ackCommandSchema = z
  .object({
    msgId,
    msgIds: z.array(ulidSchema).max(MAX_ACK_IDS),
    chunks: z
      .array(z.object({ eventId: ulidSchema, n: z.array(z.number().int().min(0).max(999_999)).min(1).max(MAX_ACK_IDS) }).strict())
      .max(MAX_ACK_IDS)
      .optional(),
  })
  .strict()
  .refine((a) => a.msgIds.length + (a.chunks ?? []).reduce((sum, c) => sum + c.n.length, 0) <= MAX_ACK_IDS, { message: `at most ${MAX_ACK_IDS} message ids and chunks in one ack`, path: ['msgIds'] });
export type AckCommand = z.infer<typeof ackCommandSchema>;

/** How the hub confirms that it committed a message: its broker's PUBACK (embedded broker) or a `cmd/ack`. */
export const DELIVERY_CONFIRMATIONS = ['puback', 'ack'] as const;
export type DeliveryConfirmation = (typeof DELIVERY_CONFIRMATIONS)[number];

/** `cmd/delivery` (retained): how this hub confirms delivery, so a box knows when a message may leave its outbox. */
export const deliveryCommandSchema = z
  .object({
    msgId,
    confirm: z.enum(DELIVERY_CONFIRMATIONS),
  })
  .strict();
export type DeliveryCommand = z.infer<typeof deliveryCommandSchema>;

/** Payload schema of each command the hub may send, by command name. */
export const commandSchemas = {
  retrieve: retrieveCommandSchema,
  'retrieve-cancel': retrieveCancelCommandSchema,
  live: liveCommandSchema,
  ack: ackCommandSchema,
  delivery: deliveryCommandSchema,
} as const;
export type CommandName = keyof typeof commandSchemas;

export const RETRIEVAL_STATES = ['cutting', 'failed', 'sent'] as const;

/** `retrievals`: how the ward is getting on with a `cmd/retrieve`. */
export const retrievalStatusSchema = z
  .object({
    msgId,
    requestId: ulidSchema,
    state: z.enum(RETRIEVAL_STATES),
    /** why it failed, for the operator */
    reason: z.string().min(1).max(500).optional(),
    /** size of the clip, once cut */
    bytes: z.number().int().min(1).max(MAX_CLIP_BYTES).optional(),
  })
  .strict()
  .refine((s) => (s.state === 'failed') === (s.reason !== undefined), { message: 'a "failed" status has a reason, and only a "failed" status has one', path: ['reason'] })
  .refine((s) => s.bytes === undefined || s.state === 'sent', { message: 'only a "sent" status has bytes', path: ['bytes'] });
export type RetrievalStatus = z.infer<typeof retrievalStatusSchema>;

/** Payload schema for each JSON topic kind (clip chunks are raw bytes, not JSON). */
export const payloadSchemas = {
  wardStatus: wardStatusSchema,
  cameraStatus: cameraStatusSchema,
  events: eventMessageSchema,
  sightings: sightingsMessageSchema,
  counts: countsMessageSchema,
  clipManifest: clipManifestSchema,
  retrievals: retrievalStatusSchema,
} as const;
