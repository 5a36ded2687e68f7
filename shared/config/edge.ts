// edge.yaml: the ward box's configuration schema, with every default documented.
import { z } from 'zod';
import { ALERT_KINDS, LABELS } from '../contract/messages.js';
import { isTimeZone } from '../local-time.js';
import { doc, host, id, onvifUrl, path, point, polygon, port, streamUrl, wholeNumber } from './fields.js';
import { pageTls, trustProxy } from './page-tls.js';

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
  retainDays: doc(wholeNumber(1, 3650), 'days to keep continuous recording (segments under an evidence hold, or waiting to be cut into an alert\'s clip, are kept longer)', 30),
};
export const recordDefaults = { enabled: true, segmentSeconds: 10, retainDays: 30 };

export const detectShape = {
  enabled: doc(z.boolean(), 'run motion and object detection on the sub stream', true),
  fps: doc(z.number().min(1).max(15), 'frames per second decoded from the sub stream for detection', 5),
  width: doc(wholeNumber(160, 1920), 'width of the decoded detect frames, in pixels', 640),
  height: doc(wholeNumber(90, 1080), 'height of the decoded detect frames, in pixels', 360),
  labels: doc(z.array(labelSchema).min(1).max(LABELS.length), `labels the box tracks (sightings, counts, alerts): any of ${LABELS.join(', ')}`, ['person', 'car']),
  minScore: doc(z.number().min(0.05).max(1), 'detector score (0–1) a new object needs to start a track; weaker detections only keep a known one going', 0.5),
  minFrames: doc(wholeNumber(1, 50), 'frames an object must be matched in before it counts (the tracker needs at least 4: fewer confirm wrong guesses on a busy street; a track steadily where it was expected counts one frame earlier)', 4),
};
export const detectDefaults = { enabled: true, fps: 5, width: 640, height: 360, labels: [...LABELS] as string[], minScore: 0.5, minFrames: 4 };

export const eventsShape = {
  preRollSeconds: doc(z.number().min(0).max(60), 'seconds of recording before an alert starts, in its clip', 5),
  postRollSeconds: doc(z.number().min(0).max(60), 'seconds of recording after an alert ends, in its clip', 5),
  endAfterSeconds: doc(z.number().min(1).max(300), 'an alert ends after its rule\'s condition has stopped holding for this many seconds', 5),
  retainDays: doc(wholeNumber(1, 3650), 'days to keep an alert\'s clip and snapshot on the box (files of their own, cut by copy from the recording)', 90),
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

const line = z
  .object({
    id: doc(id('line'), 'counting line id, used in counts, sightings and wrong-way alerts', 'pdl-north'),
    name: doc(z.string().min(1).max(100), 'name shown on pages and dashboards', 'Phan Đăng Lưu, both ways'),
    points: doc(
      z.tuple([point, point]).refine(([a, b]) => a[0] !== b[0] || a[1] !== b[1], { message: 'the two points of a line must differ' }),
      'its two ends in normalised coordinates; `forward` is crossing it from the right-hand side of the first→second point to the left-hand side (a line drawn left to right is crossed forward going up the picture)',
      [[0.05, 0.62], [0.95, 0.62]],
    ),
    directions: doc(
      z
        .object({
          forward: doc(z.string().min(1).max(60).default('forward'), 'what crossing forward means here', 'to Nguyễn Văn Trỗi'),
          backward: doc(z.string().min(1).max(60).default('backward'), 'what crossing backward means here', 'to Hoàng Văn Thụ'),
        })
        .strict()
        .default({ forward: 'forward', backward: 'backward' }),
      'names of the two directions',
    ),
  })
  .strict();

const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: 'must be a time of day as HH:MM (00:00–23:59)' });

const alert = z
  .object({
    id: doc(id('alert'), 'alert rule id: carried by every incident it raises, usable in the hub\'s forwarding rules', 'stopped-on-crossing'),
    kind: doc(
      z.enum(ALERT_KINDS),
      '`presence`: an object of `labels` in `zone`; `dwell`: one stays ≥ `seconds` in `zone`; `wrong-way`: `line` crossed in `direction`; `crowd`: ≥ `count` objects of `labels` in `zone` for ≥ `seconds`',
      'dwell',
    ),
    labels: doc(z.array(labelSchema).min(1).max(LABELS.length).optional(), 'labels the rule looks at (default: all)', ['car', 'truck', 'bus']),
    zone: doc(id('zone').optional(), 'zone id of this camera (presence, dwell, crowd)', 'crossing'),
    line: doc(id('line').optional(), 'counting line id of this camera (wrong-way)', 'pdl-north'),
    direction: doc(z.enum(['forward', 'backward']).optional(), 'the forbidden direction (wrong-way)', 'backward'),
    seconds: doc(z.number().min(1).max(86_400).optional(), 'how long (dwell, crowd)', 30),
    count: doc(wholeNumber(2, 500).optional(), 'how many objects at once (crowd)', 15),
    hours: doc(
      z.object({ from: doc(clock, 'start, local time (HH:MM)', '22:00'), to: doc(clock, 'end, local time (HH:MM); before `from` spans midnight', '05:00') }).strict().optional(),
      'only between these hours of the day, in `timeZone` (default: all day)',
    ),
  })
  .strict()
  .superRefine((a, ctx) => {
    const need = (key: 'zone' | 'line' | 'direction' | 'seconds' | 'count', hint: string) => {
      if (a[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: `a ${a.kind} alert needs ${key}`, params: { hint } });
    };
    if (a.kind === 'presence' || a.kind === 'dwell' || a.kind === 'crowd') need('zone', 'name one of this camera\'s zones');
    if (a.kind === 'dwell' || a.kind === 'crowd') need('seconds', 'e.g. seconds: 30');
    if (a.kind === 'crowd') need('count', 'e.g. count: 15');
    if (a.kind === 'wrong-way') {
      need('line', 'name one of this camera\'s lines');
      need('direction', 'the forbidden direction: forward or backward');
    }
  });

const stream = z
  .object({ url: doc(streamUrl, 'RTSP URL of the stream, with no password in it', 'rtsp://192.168.1.64:554/Streaming/Channels/101') })
  .strict();

const onvif = z
  .object({
    url: doc(onvifUrl, 'the camera\'s ONVIF device service URL, with no password in it (`wardwatch provision init` writes it for the cameras it asked over ONVIF)', 'http://192.168.1.64/onvif/device_service'),
  })
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
    onvif: doc(
      onvif.optional(),
      'the camera\'s ONVIF service: the box reads the camera\'s clock from it every `clock.checkMinutes` (GetSystemDateAndTime needs no login) and shows how far it is off; omit for cameras without ONVIF (their clock skew shows as unknown)',
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
    zones: doc(z.array(zone).max(32).default([]), 'named areas: where sightings record dwell and where alerts look'),
    lines: doc(z.array(line).max(16).default([]), 'counting lines: objects crossing them are counted per direction, label and minute'),
    alerts: doc(z.array(alert).max(32).default([]), 'alert rules: the only things that raise incidents (no rules, no incidents from ordinary traffic)'),
    masks: doc(z.array(polygon).max(32).default([]), 'areas ignored by motion and detection (trees, screens, the sky)'),
    privacyMasks: doc(z.array(polygon).max(32).default([]), 'areas blacked out in snapshots and exports (windows of homes)'),
  })
  .strict()
  .superRefine((cam, ctx) => {
    const zones = new Set(cam.zones.map((z) => z.id));
    const lines = new Set(cam.lines.map((l) => l.id));
    const unique = (ids: string[], what: string, key: string) =>
      ids.forEach((v, i) => {
        if (ids.indexOf(v) !== i) ctx.addIssue({ code: 'custom', path: [key, i, 'id'], message: `${what} id "${v}" is used twice on this camera`, params: { hint: 'give each one its own id' } });
      });
    unique(cam.zones.map((z) => z.id), 'zone', 'zones');
    unique(cam.lines.map((l) => l.id), 'line', 'lines');
    unique(cam.alerts.map((a) => a.id), 'alert', 'alerts');
    cam.alerts.forEach((a, i) => {
      if (a.zone !== undefined && !zones.has(a.zone)) {
        ctx.addIssue({ code: 'custom', path: ['alerts', i, 'zone'], message: `unknown zone "${a.zone}"`, params: { hint: zones.size ? `use one of: ${[...zones].join(', ')}` : 'add it under this camera\'s zones first' } });
      }
      if (a.line !== undefined && !lines.has(a.line)) {
        ctx.addIssue({ code: 'custom', path: ['alerts', i, 'line'], message: `unknown line "${a.line}"`, params: { hint: lines.size ? `use one of: ${[...lines].join(', ')}` : 'add it under this camera\'s lines first' } });
      }
    });
  });

export const edgeConfigSchema = z
  .object({
    ward: doc(
      z
        .object({
          id: doc(id('ward'), 'ward id, as in hub.yaml: the ward whose officers use this box\'s review page; without `box`, also this box\'s id (its hub login is ward-<id>)', 'p07'),
          name: doc(z.string().min(1).max(100), 'ward name shown on pages', 'Phường 7'),
        })
        .strict(),
      'this box\'s ward',
    ),
    box: doc(
      z
        .object({
          id: doc(id('box'), 'box id, as listed under the ward\'s `boxes` in hub.yaml: unique in the district; the box publishes under wardwatch/v1/<id>/… and logs in to the hub as ward-<id>', 'dn-2'),
        })
        .strict()
        .optional(),
      'this machine, when its ward has several boxes (docs/wards-and-boxes.md); absent: the box id is `ward.id`, as before boxes existed',
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
          tokenSecret: doc(id('secret').default('hub-token'), 'name of this box\'s hub token in the secrets file', 'hub-token'),
        })
        .strict()
        .optional(),
      'the district hub; omit to run the box alone (recording, detection and review only)',
    ),
    record: doc(withDefaults(recordShape, recordDefaults), 'recording defaults for every camera'),
    detect: doc(withDefaults(detectShape, detectDefaults), 'detection defaults for every camera'),
    events: doc(withDefaults(eventsShape, eventsDefaults), 'event defaults for every camera'),
    sightings: doc(
      z
        .object({
          batchSeconds: doc(wholeNumber(1, 300).default(5), 'a camera\'s sightings go to the hub in one message at most this often', 5),
          longStayMinutes: doc(wholeNumber(1, 120).default(5), 'an object still in view after this long is also sent as a partial sighting (and again every as long)', 5),
          thumbnails: doc(z.boolean().default(true), 'a small picture (≤ 8 KB, privacy masks applied) of each vehicle; never of a person', true),
        })
        .strict()
        .default({ batchSeconds: 5, longStayMinutes: 5, thumbnails: true }),
      'what passed: one sighting per object, sent in batches without clips',
    ),
    timeZone: doc(
      z.string().default('Asia/Ho_Chi_Minh').refine(isTimeZone, { message: 'not a time zone this machine knows (an IANA name such as Asia/Ho_Chi_Minh)' }),
      'time zone of alert hours, of the times on the review page (each shown with its UTC offset) and of the local times an export\'s manifest carries beside UTC',
      'Asia/Ho_Chi_Minh',
    ),
    clock: doc(
      z
        .object({
          checkMinutes: doc(
            wholeNumber(1, 1440).default(10),
            'how often the box checks its own clock (NTP synchronised or not, from systemd) and reads the clock of each camera with `onvif` (also once at start)',
            10,
          ),
        })
        .strict()
        .default({ checkMinutes: 10 }),
      'clocks: the box\'s clock is the reference for every recorded time; its status says whether NTP keeps it right, and each ONVIF camera\'s status says how far the camera\'s clock is off it',
    ),
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
          threads: doc(wholeNumber(1, 16).default(2), 'CPU cores for the detector: one single-threaded onnxruntime session per core (at most 4), each in its own worker thread: two 1-thread sessions spend less CPU per inference than one 2-thread session (bench/detect-throughput.ts)', 2),
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
          tls: pageTls({ page: 'the review page', certFile: 'tls/box.crt', keyFile: 'tls/box.key', command: 'wardwatch provision credentials tls --out DIR --box WARD --host ADDRESS' }),
          trustProxy: trustProxy('the review page'),
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
