// What every review route needs, handed in by the server (no globals), and the small answers they share.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { LocalAudit } from '../../shared/audit/index.js';
import type { cameraSchema } from '../../shared/config/edge.js';
import type { Db } from '../../shared/db.js';
import type { FfmpegTools } from '../../shared/ffmpeg/locate.js';
import type { Logger } from '../../shared/log.js';
import type { RecordStore } from '../record/store.js';
import type { CountsQuery } from './counts-query.js';
import type { EventsQuery } from './events-query.js';
import type { ExportService } from './exports.js';
import type { Holds } from './holds.js';
import type { LiveStreams } from './live-streams.js';

export interface ReviewCamera {
  id: string;
  name: string;
  /** RTSP URLs with credentials: never sent to the page */
  mainUrl: string;
  subUrl: string;
  /** tests: the URLs are files read looped (see LiveSource.loopFile) */
  loopFile?: boolean;
  /** the camera's street layout from edge.yaml (none when left out) */
  zones?: StreetLayout['zones'];
  lines?: StreetLayout['lines'];
  alerts?: StreetLayout['alerts'];
}

/** A camera's zones, counting lines and alert rules, as edge.yaml gives them. */
export type StreetLayout = Pick<z.output<typeof cameraSchema>, 'zones' | 'lines' | 'alerts'>;

export interface ReviewContext {
  ward: { id: string; name: string };
  cameras: readonly ReviewCamera[];
  db: Db;
  store: RecordStore;
  audit: LocalAudit;
  live: LiveStreams;
  exports: ExportService;
  holds: Holds;
  events: EventsQuery;
  counts: CountsQuery;
  /** IANA time zone of the box's days (edge.yaml timeZone) */
  timeZone: string;
  tools: FfmpegTools;
  logger: Logger;
  clock: () => number;
  /** scratch files (concat lists) */
  tmpDir: string;
  /** a camera's detection over the last minute (edge/detect/), for the street tab; absent: not shown */
  detection?: ((camera: string) => CameraDetection) | undefined;
}

/** A camera's detection over the last minute: frames analysed and detected per second, skipped by plan and lost. */
export interface CameraDetection {
  detectFps: number;
  detectedFps: number;
  framesSkippedPerMin: number;
  framesLostPerMin: number;
}

export function notFound(reply: FastifyReply, what: string): FastifyReply {
  return reply.code(404).send({ error: `${what} not found`, code: 'NOT_FOUND' });
}

export function actor(request: FastifyRequest): { name: string; displayName: string; ip: string } {
  const user = request.session!.user;
  return { name: user.name, displayName: user.displayName, ip: request.ip };
}
