// edge.yaml: the ward box's configuration schema, with every default documented.
import { z } from 'zod';
import { LABELS } from '../contract/messages.js';
import { doc, host, id, path, polygon, port, streamUrl, wholeNumber } from './fields.js';

const labelSchema = z.string().superRefine((value, ctx) => {
  if (!(LABELS as readonly string[]).includes(value)) {
    const face = /face|ident|person_id|reid|plate/i.test(value);
    ctx.addIssue({
      code: 'custom',
      message: `"${value}" is not a label Wardwatch detects`,
      params: {
        hint: face
          ? `face recognition and identity features are not available by design; allowed labels: ${LABELS.join(', ')}`
          : `allowed labels: ${LABELS.join(', ')} (face recognition is not available by design)`,
      },
    });
  }
});

export const recordShape = {
  enabled: doc(z.boolean(), 'record this camera\'s main stream continuously', true),
  segmentSeconds: doc(wholeNumber(2, 60), 'length of one recorded segment file, in seconds', 10),
  retainDays: doc(wholeNumber(1, 3650), 'days to keep continuous recording (segments that events or holds need are kept longer)', 30),
};
export const recordDefaults = { enabled: true, segmentSeconds: 10, retainDays: 30 };

export const detectShape = {
  enabled: doc(z.boolean(), 'run motion and object detection on the sub stream', true),
  fps: doc(z.number().min(1).max(15), 'frames per second decoded from the sub stream for detection', 5),
  width: doc(wholeNumber(160, 1920), 'width of the decoded detect frames, in pixels', 640),
  height: doc(wholeNumber(90, 1080), 'height of the decoded detect frames, in pixels', 360),
  labels: doc(z.array(labelSchema).min(1).max(LABELS.length), `labels that make events: any of ${LABELS.join(', ')}`, ['person', 'car']),
  minScore: doc(z.number().min(0.05).max(1), 'minimum detector score (0–1) for an object to count', 0.5),
  minFrames: doc(wholeNumber(1, 50), 'frames an object must be seen in before an event starts', 2),
};
export const detectDefaults = { enabled: true, fps: 5, width: 640, height: 360, labels: [...LABELS] as string[], minScore: 0.5, minFrames: 2 };

export const eventsShape = {
  preRollSeconds: doc(z.number().min(0).max(60), 'seconds of recording kept before an event starts, in its clip', 5),
  postRollSeconds: doc(z.number().min(0).max(60), 'seconds of recording kept after an event ends, in its clip', 5),
  endAfterSeconds: doc(z.number().min(1).max(300), 'an event ends after its object has been gone this many seconds', 5),
  retainDays: doc(wholeNumber(1, 3650), 'days to keep event clips and the segments they come from', 90),
};
export const eventsDefaults = { preRollSeconds: 5, postRollSeconds: 5, endAfterSeconds: 5, retainDays: 90 };

/** The same fields with their defaults applied, for the top-level blocks (cameras override them field by field). */
function withDefaults<S extends Record<string, z.ZodType>>(shape: S, defaults: { [K in keyof S]: z.output<S[K]> }) {
  const out: Record<string, z.ZodType> = {};
  for (const [key, schema] of Object.entries(shape)) {
    const meta = schema.meta();
    out[key] = (schema as unknown as { default: (v: unknown) => z.ZodType }).default(defaults[key as keyof S]).meta(meta ?? {});
  }
  return z.object(out as { [K in keyof S]: z.ZodDefault<S[K]> }).strict().default(defaults as never);
}

const zone = z
  .object({
    id: doc(id('zone'), 'zone id, used in events and forwarding rules', 'crossing'),
    polygon: doc(polygon, 'polygon in normalised coordinates (0–1 from the top-left), at least 3 points', [[0, 0.5], [1, 0.5], [1, 1], [0, 1]]),
  })
  .strict();

const stream = z
  .object({ url: doc(streamUrl, 'RTSP URL of the stream, with no password in it', 'rtsp://192.168.1.64:554/Streaming/Channels/101') })
  .strict();

export const cameraSchema = z
  .object({
    id: doc(id('camera'), 'camera id: unique in the ward; used in topics, paths and the UI', 'cam-01'),
    name: doc(z.string().min(1).max(100), 'name shown to officers and operators', 'Phan Đăng Lưu × Hoàng Văn Thụ'),
    location: doc(
      z
        .object({
          address: doc(z.string().min(1).max(200), 'street address', '120 Phan Đăng Lưu'),
          lat: doc(z.number().min(-90).max(90), 'latitude (WGS 84)', 10.8006),
          lon: doc(z.number().min(-180).max(180), 'longitude (WGS 84)', 106.6822),
        })
        .strict()
        .optional(),
      'where the camera is',
    ),
    streams: doc(
      z.object({ main: doc(stream, 'recorded stream (full resolution)'), sub: doc(stream.optional(), 'low-resolution stream for detection and the live grid; defaults to main') }).strict(),
      'the camera\'s RTSP streams',
    ),
    credentials: doc(
      z
        .object({
          username: doc(z.string().min(1).max(64), 'RTSP user name', 'wardwatch'),
          passwordSecret: doc(id('secret'), 'name of the password in the secrets file (or env WARDWATCH_SECRET_<NAME>)', 'cam-01'),
        })
        .strict()
        .optional(),
      'how to log in to the camera; omit for cameras without a password',
    ),
    record: doc(z.object(recordShape).partial().strict().optional(), 'overrides of `record` for this camera'),
    detect: doc(z.object(detectShape).partial().strict().optional(), 'overrides of `detect` for this camera'),
    events: doc(z.object(eventsShape).partial().strict().optional(), 'overrides of `events` for this camera'),
    zones: doc(z.array(zone).max(32).default([]), 'named areas; when set, only objects inside one make events'),
    masks: doc(z.array(polygon).max(32).default([]), 'areas ignored by motion and detection (trees, screens, the sky)'),
    privacyMasks: doc(z.array(polygon).max(32).default([]), 'areas blacked out in snapshots and exports (windows of homes)'),
  })
  .strict();

export const edgeConfigSchema = z
  .object({
    ward: doc(
      z
        .object({
          id: doc(id('ward'), 'ward id: unique in the district; the hub login is ward-<id>', 'p07'),
          name: doc(z.string().min(1).max(100), 'ward name shown on pages', 'Phường 7'),
        })
        .strict(),
      'this box\'s ward',
    ),
    storage: doc(
      z
        .object({
          root: doc(path(), 'folder for recordings, clips, exports and the database', '/var/lib/wardwatch'),
        })
        .strict(),
      'where the box keeps its data',
    ),
    secretsFile: doc(path().default('secrets.yaml'), 'YAML file (mode 0600) of secrets by name; relative to this file', 'secrets.yaml'),
    hub: doc(
      z
        .object({
          host: doc(host(), 'hub broker address', '10.20.0.10'),
          port: doc(port().default(8883), 'hub broker port', 8883),
          tls: doc(z.boolean().default(true), 'connect with TLS (turn off only on loopback tests)', true),
          caFile: doc(path().optional(), 'CA certificate that signed the hub\'s certificate (from `provision credentials tls`)', 'ca.pem'),
          tokenSecret: doc(id('secret').default('hub-token'), 'name of this ward\'s hub token in the secrets file', 'hub-token'),
        })
        .strict()
        .optional(),
      'the district hub; omit to run the box alone (recording, detection and review only)',
    ),
    record: doc(withDefaults(recordShape, recordDefaults), 'recording defaults for every camera'),
    detect: doc(withDefaults(detectShape, detectDefaults), 'detection defaults for every camera'),
    events: doc(withDefaults(eventsShape, eventsDefaults), 'event defaults for every camera'),
    disk: doc(
      z
        .object({
          floorPercent: doc(z.number().min(1).max(50).default(10), 'free space floor as % of the disk; the smaller of the two floors applies', 10),
          floorGb: doc(z.number().min(0.1).default(20), 'free space floor in GB; the smaller of the two floors applies', 20),
          marginGb: doc(z.number().min(0).default(2), 'the disk guard deletes until free space is this far above the floor', 2),
        })
        .strict()
        .default({ floorPercent: 10, floorGb: 20, marginGb: 2 }),
      'disk guard: oldest unprotected segments are deleted before the disk fills',
    ),
    model: doc(
      z
        .object({
          path: doc(
            path().optional(),
            'detector model file, relative to this file. Unset: `models/yolox_nano.onnx` beside this file when `wardwatch provision model` put one there, else the copy that ships with Wardwatch. Set: that file, and a missing one is an error',
            'models/yolox_nano.onnx, else the packaged copy',
          ),
          threads: doc(wholeNumber(1, 16).default(2), 'CPU threads for the detector', 2),
        })
        .strict()
        .default({ threads: 2 }),
      'the object detector',
    ),
    review: doc(
      z
        .object({
          host: doc(host().default('0.0.0.0'), 'address the officers\' review page listens on', '0.0.0.0'),
          port: doc(port().default(8080), 'port of the review page', 8080),
        })
        .strict()
        .default({ host: '0.0.0.0', port: 8080 }),
      'the officers\' review page',
    ),
    ffmpeg: doc(
      z
        .object({
          ffmpegPath: doc(path().optional(), 'ffmpeg binary; default: PATH, then the bundled npm build', '/usr/bin/ffmpeg'),
          ffprobePath: doc(path().optional(), 'ffprobe binary; default: PATH, then the bundled npm build', '/usr/bin/ffprobe'),
        })
        .strict()
        .default({}),
      'where ffmpeg is',
    ),
    cameras: doc(z.array(cameraSchema).min(1, { message: 'at least one camera is needed' }).max(64), 'the ward\'s cameras'),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const seen = new Map<string, number>();
    cfg.cameras.forEach((cam, i) => {
      const first = seen.get(cam.id);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['cameras', i, 'id'], message: `duplicate camera id "${cam.id}" (also cameras[${first}])`, params: { hint: 'give every camera its own id' } });
      } else seen.set(cam.id, i);
      const zones = new Set<string>();
      cam.zones.forEach((z, j) => {
        if (zones.has(z.id)) ctx.addIssue({ code: 'custom', path: ['cameras', i, 'zones', j, 'id'], message: `duplicate zone id "${z.id}"`, params: { hint: 'give every zone of a camera its own id' } });
        zones.add(z.id);
      });
    });
  });

export type EdgeConfigInput = z.input<typeof edgeConfigSchema>;
export type EdgeConfigParsed = z.output<typeof edgeConfigSchema>;
