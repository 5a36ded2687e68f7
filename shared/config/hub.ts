// hub.yaml: the district hub's configuration schema, with every default documented.
import { z } from 'zod';
import { ALERT_KINDS, LABELS } from '../contract/messages.js';
import { isTimeZone } from '../local-time.js';
import { doc, host, id, path, port, wholeNumber } from './fields.js';
import { pageTls, trustProxy } from './page-tls.js';

/** Format of stored ward tokens and passwords: scrypt$N$r$p$salt$hash (base64). */
export const SCRYPT_HASH_PATTERN = /^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/;

/** Defaults of the broker's login limits, also used when the broker is started without hub.yaml (tests). */
export const BROKER_DEFAULTS = { connectTimeoutSeconds: 10, maxUnauthenticatedPerAddress: 32 } as const;

const listener = z
  .object({
    type: doc(z.enum(['tcp', 'tls']), 'plain MQTT over TCP (loopback tests only) or MQTT over TLS', 'tls'),
    host: doc(host().default('0.0.0.0'), 'address to listen on', '0.0.0.0'),
    port: doc(port(), 'port to listen on (0: any free port)', 8883),
    certFile: doc(path().optional(), 'server certificate (PEM), required for tls', 'tls/hub.crt'),
    keyFile: doc(path().optional(), 'server private key (PEM), required for tls', 'tls/hub.key'),
  })
  .strict()
  .superRefine((l, ctx) => {
    if (l.type === 'tls' && (!l.certFile || !l.keyFile)) {
      ctx.addIssue({ code: 'custom', path: [l.certFile ? 'keyFile' : 'certFile'], message: 'a tls listener needs certFile and keyFile', params: { hint: 'run `wardwatch provision credentials tls` and point certFile/keyFile at its output' } });
    }
  });

/** `broker.external`: the existing broker the wards and the hub's processes are clients of (`broker.mode: external`). */
const externalBroker = z
  .object({
    url: doc(z.string().regex(/^mqtts?:\/\/[^\s/:]+(:\d+)?\/?$/, 'must be mqtt://host:port or mqtts://host:port'), 'the broker (the wards use the same one)', 'mqtts://10.20.0.5:8883'),
    username: doc(z.string().min(1).max(64), 'the hub\'s own login at the broker (its ACL: read wardwatch/v1/#, write wardwatch/v1/+/cmd/#)', 'wardwatch-hub'),
    passwordSecret: doc(id('secret'), 'name of the hub\'s broker password in the secrets file', 'broker-password'),
    caFile: doc(path().optional(), 'CA that signed the broker\'s certificate (PEM), for mqtts://', 'tls/broker-ca.pem'),
    clientId: doc(z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1–64 letters, digits, "_", ".", ":" or "-"').optional(), 'this hub process\'s client id: one persistent session per process, so each process needs its own; absent: wardwatch-hub-<host name>', 'wardwatch-hub-1'),
    group: doc(id('group').default('hub'), 'shared subscription group (`$share/<group>/…`): the hub processes of one group split the wards\' messages', 'hub'),
    sessionExpirySeconds: doc(wholeNumber(60, 30 * 24 * 3600).default(7 * 24 * 3600), 'how long the broker keeps this process\'s session (and the messages queued for it) while the process is down', 604800),
  })
  .strict();

/** `store.postgres`: the PostgreSQL database several hub processes share as their index (`store.type: postgres`). */
const postgresStore = z
  .object({
    url: doc(
      z.string().regex(/^postgres(ql)?:\/\/[^\s:@/]+@[^\s/@]+(:\d+)?\/[A-Za-z0-9_-]+$/, 'must be postgres://USER@HOST[:PORT]/DATABASE (the password goes in the secrets file, not here)'),
      'the database: user, host, port and database name (no password)',
      'postgres://wardwatch@10.20.0.6:5432/wardwatch',
    ),
    passwordSecret: doc(id('secret').optional(), 'name of the database password in the secrets file; absent: none (peer or certificate login)', 'db-password'),
    caFile: doc(path().optional(), 'CA that signed the database server\'s certificate (PEM): the connection then uses TLS and checks it', 'tls/db-ca.pem'),
    maxConnections: doc(wholeNumber(2, 200).default(10), 'connections this hub process opens at most (each process has its own pool; PostgreSQL\'s max_connections must cover them all)', 10),
  })
  .strict();

const tokenHash = (who: string) =>
  doc(
    z.string().regex(SCRYPT_HASH_PATTERN, { message: 'must be an scrypt hash (scrypt$N$r$p$salt$hash)' }).optional(),
    `scrypt hash of the ${who}'s token, written by \`wardwatch provision credentials issue\`; absent: the ${who} cannot log in`,
    'scrypt$16384$8$1$…$…',
  );

/** One ward box: it logs in as ward-<box id> and publishes under wardwatch/v1/<box id>/… (docs/wards-and-boxes.md). */
const box = z
  .object({
    id: doc(id('box'), 'box id, as `box.id` in the box\'s edge.yaml: unique in the district', 'dn-1'),
    name: doc(z.string().min(1).max(100).optional(), 'box name shown on pages; absent: the id', 'Đức Nhuận 1 (UBND phường)'),
    tokenHash: tokenHash('box'),
    cameraPrefix: doc(
      z.string().regex(/^[a-z0-9][a-z0-9_-]{0,15}$/, { message: 'must be 1–16 lower-case letters, digits, "-" or "_", starting with a letter or digit' }).optional(),
      'the hub names this box\'s cameras <prefix><camera id> (its cam-01 is p07-cam-01 at the hub), for boxes of old wards merged into one that both have a cam-01; commands to the box carry its own names',
      'p07-',
    ),
  })
  .strict();

const ward = z
  .object({
    id: doc(id('ward'), 'ward id: the officers\' and the city\'s unit; a ward listed without boxes is one box of the same id (its edge.yaml has no box.id)', 'p07'),
    name: doc(z.string().min(1).max(100), 'ward name', 'Phường 7'),
    tokenHash: tokenHash('ward\'s one box'),
    boxes: doc(
      z.array(box).min(1).optional(),
      'the ward\'s boxes, each with its own login; absent: the ward is one box whose id is the ward\'s (the form before boxes existed)',
      [{ id: 'dn-1', name: 'Đức Nhuận 1' }],
    ),
  })
  .strict();

const webhookTarget = z
  .object({
    id: doc(id('target'), 'target id, named by rules', 'city'),
    type: z.literal('webhook'),
    url: doc(z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }), 'where alerts are POSTed', 'https://city.example.vn/alerts'),
    secretName: doc(id('secret'), 'name of the HMAC signing secret in the secrets file', 'city-webhook'),
    timeoutSeconds: doc(z.number().min(1).max(120).default(10), 'give up on one attempt after this long', 10),
  })
  .strict();

const mqttTarget = z
  .object({
    id: doc(id('target'), 'target id, named by rules', 'city-mqtt'),
    type: z.literal('mqtt'),
    url: doc(z.string().regex(/^mqtts?:\/\/[^\s/]+(:\d+)?\/?$/, 'must be mqtt://host:port or mqtts://host:port'), 'the city broker', 'mqtts://10.30.0.5:8883'),
    topic: doc(z.string().min(1).max(200).default('wardwatch/alerts'), 'topic alerts are published to (QoS 1)', 'wardwatch/alerts'),
    username: doc(z.string().max(64).optional(), 'login at the city broker', 'phu-nhuan'),
    secretName: doc(id('secret').optional(), 'name of the city broker password in the secrets file', 'city-mqtt'),
  })
  .strict();

const rule = z
  .object({
    id: doc(id('rule'), 'rule id, shown on forwarded incidents', 'vehicles-at-crossings'),
    target: doc(id('target'), 'id of a forward target', 'city'),
    labels: doc(z.array(z.enum(LABELS)).min(1).optional(), 'labels that match; absent: any', ['car', 'truck']),
    minScore: doc(z.number().min(0).max(1).default(0), 'minimum top score', 0.7),
    wards: doc(z.array(id('ward')).optional(), 'wards that match; absent: any', ['p07']),
    zones: doc(z.array(id('zone')).optional(), 'zones that match (any of them); absent: any', ['crossing']),
    alerts: doc(z.array(id('alert')).optional(), 'ids of the boxes\' alert rules that match (edge.yaml `cameras[].alerts[].id`); absent: any', ['blocked-junction']),
    alertKinds: doc(z.array(z.enum(ALERT_KINDS)).optional(), 'kinds of alert that match; absent: any', ['dwell', 'wrong-way']),
  })
  .strict();

export const hubConfigSchema = z
  .object({
    district: doc(z.object({ name: doc(z.string().min(1).max(100), 'district name shown on pages', 'Phú Nhuận') }).strict(), 'this hub\'s district'),
    timeZone: doc(
      z.string().default('Asia/Ho_Chi_Minh').refine(isTimeZone, { message: 'not a time zone this machine knows (an IANA name such as Asia/Ho_Chi_Minh)' }),
      'time zone of the times on the operator page (each shown with its UTC offset, whatever zone the operator\'s browser is set to)',
      'Asia/Ho_Chi_Minh',
    ),
    storage: doc(z.object({ root: doc(path(), 'folder for the incident index and clips', '/var/lib/wardwatch-hub') }).strict(), 'where the hub keeps its data'),
    store: doc(
      z
        .object({
          type: doc(z.enum(['sqlite', 'postgres']).default('sqlite'), 'sqlite: the index is a file under storage.root, for one hub process (the default); postgres: a PostgreSQL database that several hub processes share (docs/scale-out.md)', 'sqlite'),
          postgres: doc(postgresStore.optional(), 'the database, with type postgres'),
        })
        .strict()
        .default({ type: 'sqlite' }),
      'the incident index (incidents, sightings, counts, retrievals, the forward outbox, accounts and the audit log)',
    ),
    secretsFile: doc(path().default('secrets.yaml'), 'YAML file (mode 0600) of secrets by name; relative to this file', 'secrets.yaml'),
    broker: doc(
      z
        .object({
          mode: doc(z.enum(['embedded', 'external']).default('embedded'), 'embedded: the hub runs the broker (aedes) the wards connect to; external: the wards and the hub are clients of an existing broker (Mosquitto, EMQX, …), see broker.external', 'embedded'),
          listeners: doc(z.array(listener).default([]), 'MQTT listeners of the embedded broker (at least one in embedded mode)'),
          external: doc(externalBroker.optional(), 'the existing broker, in external mode'),
          maxPayloadBytes: doc(wholeNumber(1024, 16 * 1024 * 1024).default(1024 * 1024), 'largest accepted MQTT message', 1048576),
          connectTimeoutSeconds: doc(
            wholeNumber(1, 300).default(BROKER_DEFAULTS.connectTimeoutSeconds),
            'seconds a new connection has to log in (CONNECT and token check) before it is closed; a TLS handshake has as long again before that',
            BROKER_DEFAULTS.connectTimeoutSeconds,
          ),
          maxUnauthenticatedPerAddress: doc(
            wholeNumber(1, 10_000).default(BROKER_DEFAULTS.maxUnauthenticatedPerAddress),
            'connections from one address that may be logging in at once; more are closed at once (wards behind one NAT address all reconnect together after a hub restart)',
            BROKER_DEFAULTS.maxUnauthenticatedPerAddress,
          ),
        })
        .strict(),
      'the embedded MQTT broker the wards connect to',
    ),
    wards: doc(z.array(ward).min(1), 'the wards allowed to connect'),
    retention: doc(
      z
        .object({
          incidentDays: doc(wholeNumber(1, 3650).default(365), 'days to keep incidents in the index', 365),
          clipDays: doc(wholeNumber(1, 3650).default(90), 'days to keep clips and snapshots (of incidents; recordings retrieved from wards count from their arrival)', 90),
          sightingDays: doc(wholeNumber(1, 3650).default(30), 'days to keep sightings (what passed the cameras) and their thumbnails, counted from when the object was first seen (a district makes ~5 million a day: ~2 GB a day with thumbnails)', 30),
          countDays: doc(wholeNumber(1, 3650).default(400), 'days to keep the per-minute counts of the counting lines', 400),
        })
        .strict()
        .default({ incidentDays: 365, clipDays: 90, sightingDays: 30, countDays: 400 }),
      'how long the hub keeps things (held incidents are kept until released)',
    ),
    http: doc(
      z
        .object({
          host: doc(host().default('0.0.0.0'), 'address of the API and operator page', '0.0.0.0'),
          port: doc(port().default(8443), 'port of the API and operator page', 8443),
          publicUrl: doc(z.url().optional(), 'URL the city uses to reach the hub, for shared links', 'https://hub.phunhuan.example.vn'),
          tls: pageTls({ page: 'the API and operator page', certFile: 'tls/hub.crt', keyFile: 'tls/hub.key', command: 'wardwatch provision credentials tls --out DIR --host NAME' }),
          trustProxy: trustProxy('the API and operator page'),
        })
        .strict()
        .default({ host: '0.0.0.0', port: 8443 }),
      'HTTP API and operator page',
    ),
    forward: doc(
      z
        .object({
          targets: doc(z.array(z.discriminatedUnion('type', [webhookTarget, mqttTarget])).default([]), 'where alerts go (type webhook or mqtt)'),
          rules: doc(z.array(rule).default([]), 'which incidents are forwarded automatically'),
          linkTtlHours: doc(z.number().min(1).max(720).default(72), 'hours a shared clip link stays valid', 72),
          indicators: doc(
            z
              .object({
                targets: doc(z.array(id('target')).min(1), 'forward targets that get the traffic indicators of every 15 minutes (counts per ward, camera, line, direction and label; no sightings)', ['city']),
                delayMinutes: doc(wholeNumber(1, 60).default(5), 'minutes after a quarter ends before it is sent (the boxes send each minute when it is over)', 5),
              })
              .strict()
              .optional(),
            'optional push of the 15-minute traffic indicators to the city\'s operations centre; absent: none (the centre can poll GET /api/indicators)',
          ),
        })
        .strict()
        .default({ targets: [], rules: [], linkTtlHours: 72 }),
      'sharing with the city monitoring centre',
    ),
    remoteAccess: doc(
      z
        .object({
          maxRetrieveMinutes: doc(wholeNumber(1, 24 * 60).default(30), 'longest range an operator may pull from a ward in one request', 30),
          maxOpenPerOperator: doc(wholeNumber(1, 100).default(3), 'requests one operator may have on their way at once', 3),
          maxRelaysPerWard: doc(wholeNumber(1, 32).default(2), 'live views of one ward relayed through the hub at once (each is a camera stream on the ward uplink)', 2),
          liveLingerSeconds: doc(wholeNumber(1, 600).default(30), 'a live relay is torn down this long after its last viewer leaves (a viewer coming back reuses it)', 30),
        })
        .strict()
        .default({ maxRetrieveMinutes: 30, maxOpenPerOperator: 3, maxRelaysPerWard: 2, liveLingerSeconds: 30 }),
      'operators pulling recorded ranges from, and watching cameras live at, the wards through the hub',
    ),
    cityRtsp: doc(
      z
        .object({
          listen: doc(
            z
              .object({
                host: doc(host().default('0.0.0.0'), 'address the RTSP server listens on', '0.0.0.0'),
                port: doc(port().default(8554), 'its TCP port (8554 is usual for RTSP, 8322 for RTSPS; 0: any free port)', 8554),
              })
              .strict()
              .default({ host: '0.0.0.0', port: 8554 }),
            'where the city\'s video system connects',
          ),
          tls: doc(z.boolean().default(false), 'RTSPS: serve over TLS with the page\'s certificate (http.tls), for a video system that supports it; the Digest credential then also travels encrypted', false),
          lingerMs: doc(wholeNumber(0, 600_000).default(10_000), 'a camera\'s relay is ended this long after its last RTSP reader leaves (a player reconnecting reuses it)', 10000),
          maxConnections: doc(wholeNumber(1, 1000).default(64), 'RTSP connections at once, in all', 64),
          maxConnectionsPerAddress: doc(wholeNumber(1, 1000).default(16), 'RTSP connections at once from one address (a VMS opens one per camera)', 16),
          sessionTimeoutSeconds: doc(wholeNumber(10, 600).default(60), 'a connection that sends nothing (no request, no RTCP) for this long is closed', 60),
        })
        .strict()
        .optional(),
      'RTSP for the city\'s video management system: cameras granted to the city, read on demand through live relays (README "Connecting the city\'s video system"); absent: off',
    ),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    if (cfg.broker.mode === 'embedded' && cfg.broker.listeners.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['broker', 'listeners'], message: 'the embedded broker needs at least one listener', params: { hint: 'add `- { type: tls, port: 8883, certFile: tls/hub.crt, keyFile: tls/hub.key }`, or set broker.mode: external with broker.external' } });
    }
    if (cfg.broker.mode === 'external' && !cfg.broker.external) {
      ctx.addIssue({ code: 'custom', path: ['broker', 'external'], message: 'broker.mode external needs broker.external (url, username, passwordSecret)', params: { hint: 'add broker.external: { url: mqtts://BROKER:8883, username: wardwatch-hub, passwordSecret: broker-password }' } });
    }
    if (cfg.store.type === 'postgres' && !cfg.store.postgres) {
      ctx.addIssue({ code: 'custom', path: ['store', 'postgres'], message: 'store.type postgres needs store.postgres (url, passwordSecret)', params: { hint: 'add store.postgres: { url: postgres://wardwatch@DBHOST:5432/wardwatch, passwordSecret: db-password }, or set store.type: sqlite' } });
    }
    if (cfg.cityRtsp?.tls && !cfg.http.tls) {
      ctx.addIssue({ code: 'custom', path: ['cityRtsp', 'tls'], message: 'cityRtsp.tls uses the page\'s certificate, and http.tls has none', params: { hint: 'set http.tls (certFile, keyFile), or cityRtsp.tls: false' } });
    }
    const wardIds = new Map<string, number>();
    cfg.wards.forEach((w, i) => {
      if (wardIds.has(w.id)) ctx.addIssue({ code: 'custom', path: ['wards', i, 'id'], message: `duplicate ward id "${w.id}" (also wards[${wardIds.get(w.id)}])`, params: { hint: 'list every ward once' } });
      else wardIds.set(w.id, i);
      if (w.boxes && w.tokenHash !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['wards', i, 'tokenHash'], message: `ward "${w.id}" has boxes: each box logs in with its own token`, params: { hint: `move tokenHash to the box of ward ${w.id} that used it (the box whose id is "${w.id}"), or issue each box a token with \`wardwatch provision credentials issue --box ID --ward ${w.id}\`` } });
      }
    });
    // a box id names one sender in the whole district (its topics, its login): no two boxes share one
    const boxIds = new Map<string, string>();
    cfg.wards.forEach((w, i) => {
      (w.boxes ?? [{ id: w.id }]).forEach((b, j) => {
        const where = w.boxes ? `wards[${i}].boxes[${j}]` : `wards[${i}]`;
        const other = boxIds.get(b.id);
        if (other !== undefined) {
          ctx.addIssue({ code: 'custom', path: w.boxes ? ['wards', i, 'boxes', j, 'id'] : ['wards', i, 'id'], message: `box id "${b.id}" is used twice (${other} and ${where})`, params: { hint: 'give every box of the district its own id (a one-box ward\'s box has the ward\'s id)' } });
        } else boxIds.set(b.id, where);
      });
    });
    const targets = new Set(cfg.forward.targets.map((t) => t.id));
    cfg.forward.indicators?.targets.forEach((t, i) => {
      if (!targets.has(t)) ctx.addIssue({ code: 'custom', path: ['forward', 'indicators', 'targets', i], message: `unknown forward target "${t}"`, params: { hint: targets.size ? `use one of: ${[...targets].join(', ')}` : 'add it under forward.targets first' } });
    });
    cfg.forward.rules.forEach((r, i) => {
      if (!targets.has(r.target)) {
        ctx.addIssue({ code: 'custom', path: ['forward', 'rules', i, 'target'], message: `unknown forward target "${r.target}"`, params: { hint: targets.size ? `use one of: ${[...targets].join(', ')}` : 'add it under forward.targets first' } });
      }
      r.wards?.forEach((w, j) => {
        if (!wardIds.has(w)) ctx.addIssue({ code: 'custom', path: ['forward', 'rules', i, 'wards', j], message: `unknown ward "${w}"`, params: { hint: 'use a ward id listed under wards' } });
      });
    });
  });

export type HubConfigParsed = z.output<typeof hubConfigSchema>;
