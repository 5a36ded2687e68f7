// RTSP for the city's video system: a listener (RTSPS with the page's certificate when asked), Digest against the
// city accounts' own credentials, `rtsp://host:port/<ward>/<camera>` checked against the city's grants at DESCRIBE,
// SETUP and PLAY, each camera stream read on demand through a live relay (the ward box connects out to the hub) and
// shared by its readers. Sessions end at once when their grant is revoked, within a second when it runs out.
import net from 'node:net';
import tls from 'node:tls';
import type { LoginThrottle } from '../../shared/accounts/index.js';
import type { Audit } from '../../shared/audit/index.js';
import type { PageTls } from '../../shared/http/index.js';
import type { Logger } from '../../shared/log.js';
import { RtspConnection, type Resolved, type RtspService } from '../../shared/rtsp/connection.js';
import { createDigestPolicy, type DigestPolicy } from '../../shared/rtsp/digest.js';
import type { CityAccess } from '../city/grants.js';
import type { CityRtspReader } from '../city/viewers.js';
import type { LiveRelays } from '../live/relays.js';
import type { RtspCredentials } from './credentials.js';
import { RTSP_REALM } from './credentials.js';
import { CityFeed, type FeedHooks } from './feed.js';
import { parseCityPath, type CityStream } from './paths.js';
import { refuseConnection, rtspRefusal } from './policy.js';

/** How long DESCRIBE waits for the ward box's first video (the relay's own connect timeout is 30 s). */
const READY_TIMEOUT_MS = 20_000;
/** A connection that has not authenticated by then is closed (a port scanner, a stalled handshake). */
const UNAUTHENTICATED_MS = 15_000;
/** How often expired grants and idle connections are looked for. */
const SWEEP_MS = 1_000;

export interface CityRtspConfig {
  listen: { host: string; port: number };
  /** the page's certificate, for RTSPS */
  tls?: PageTls | undefined;
  lingerMs: number;
  maxConnections: number;
  maxConnectionsPerAddress: number;
  sessionTimeoutSeconds: number;
}

export interface CityRtspOptions {
  config: CityRtspConfig;
  grants: { check(ward: string, camera: string, what: 'live'): Promise<CityAccess>; onChange(listener: () => Promise<void>): () => void };
  live: LiveRelays;
  credentials: Pick<RtspCredentials, 'ha1'>;
  /** the hub's login throttle: failed Digest answers count per address and per (name, address) as failed logins do */
  throttle: Pick<LoginThrottle, 'attempt'>;
  audit: Audit;
  /** the hub's http(s) base a ward box connects back to, given the address the city reached the hub at */
  relayOrigin(localAddress: string | undefined): string | undefined;
  logger: Logger;
}

/** A playing RTSP session, as GET /api/city/viewers lists it. */
export type RtspReader = CityRtspReader;

interface Session {
  connection: RtspConnection;
  feed: CityFeed;
  grantId: string;
  since: number;
}

export class CityRtsp implements RtspService {
  readonly serverName = 'Wardwatch hub';
  readonly auth: DigestPolicy;
  readonly sessionTimeoutSeconds: number;
  private readonly server: net.Server;
  private readonly connections = new Map<RtspConnection, { openedAt: number; feeds: Set<CityFeed> }>();
  private readonly perAddress = new Map<string, number>();
  private readonly feeds = new Map<string, CityFeed>();
  /** feeds being opened: two DESCRIBEs at once open one relay */
  private readonly opening = new Map<string, Promise<CityFeed | Extract<Resolved, { ok: false }>>>();
  private readonly sessions = new Set<Session>();
  /** why a connection was closed by the hub (its end's audit row says) */
  private readonly endReasons = new WeakMap<RtspConnection, string>();
  /** the grant a connection's last PLAY was allowed by, per feed key (its view's audit row names it) */
  private readonly playGrants = new WeakMap<RtspConnection, Map<string, string>>();
  /** a recheck under way, and whether another was asked for meanwhile (a revoke during a look must not be missed) */
  private rechecking: Promise<void> | undefined;
  private recheckAgain = false;
  private closing = false;
  private readonly sweeper: NodeJS.Timeout;
  private readonly unsubscribe: () => void;
  private readonly log: Logger;
  private readonly config: CityRtspConfig;
  private readonly grants: CityRtspOptions['grants'];
  private readonly live: LiveRelays;
  private readonly audit: Audit;
  private readonly relayOrigin: CityRtspOptions['relayOrigin'];
  private readonly throttle: CityRtspOptions['throttle'];
  private readonly credentials: CityRtspOptions['credentials'];
  /** audit rows of plays and stops being written (those callbacks cannot wait): close() waits for them */
  private readonly auditing = new Set<Promise<void>>();

  private constructor(o: CityRtspOptions) {
    ({ config: this.config, grants: this.grants, live: this.live, audit: this.audit, relayOrigin: this.relayOrigin, throttle: this.throttle, credentials: this.credentials } = o);
    this.log = o.logger.child({ part: 'city-rtsp' });
    this.sessionTimeoutSeconds = o.config.sessionTimeoutSeconds;
    const base = createDigestPolicy({ username: '', password: '' }, RTSP_REALM);
    this.auth = { ...base, ha1: (user) => this.credentials.ha1(user) };
    const accept = (socket: net.Socket) => this.accept(socket);
    this.server = o.config.tls ? tls.createServer({ cert: o.config.tls.cert, key: o.config.tls.key, minVersion: o.config.tls.minVersion }, accept) : net.createServer(accept);
    // a TLS handshake that fails is the client's problem, not the hub's
    this.server.on('tlsClientError', () => undefined);
    this.unsubscribe = o.grants.onChange(() => this.recheck());
    this.sweeper = setInterval(() => this.sweep(), SWEEP_MS);
    this.sweeper.unref();
  }

  static async start(o: CityRtspOptions): Promise<CityRtsp> {
    const rtsp = new CityRtsp(o);
    await new Promise<void>((resolve, reject) => {
      rtsp.server.once('error', reject);
      rtsp.server.listen(o.config.listen.port, o.config.listen.host, () => {
        rtsp.server.off('error', reject);
        resolve();
      });
    });
    rtsp.server.on('error', (err) => rtsp.log.error({ err }, 'city rtsp server error'));
    return rtsp;
  }

  get port(): number {
    const a = this.server.address();
    return a && typeof a !== 'string' ? a.port : 0;
  }

  get host(): string {
    return this.config.listen.host;
  }

  get scheme(): 'rtsp' | 'rtsps' {
    return this.config.tls ? 'rtsps' : 'rtsp';
  }

  /** Playing sessions: who reads which camera from where, since when. */
  readers(): RtspReader[] {
    return [...this.sessions].map((s) => ({ user: s.connection.user ?? '', ward: s.feed.ward, camera: s.feed.camera, stream: s.feed.stream, ip: s.connection.remoteAddress, since: s.since }));
  }

  /** Camera streams read now (ward/camera/stream) and their readers (tests, status). */
  feedList(): { key: string; relayId: string; playing: number; framesOut: number }[] {
    return [...this.feeds.values()].map((f) => ({ key: f.key, relayId: f.relayId, playing: f.playing, framesOut: f.framesOut }));
  }

  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.sweeper);
    this.unsubscribe();
    for (const c of this.connections.keys()) c.close();
    for (const f of [...this.feeds.values()]) f.end('the hub stops');
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await Promise.all([...this.auditing]);
  }

  /** Writes an audit row in the background: a failure is logged, never unhandled; close() waits for it. */
  private note(row: Promise<unknown>): void {
    const written: Promise<void> = row
      .then(
        () => {},
        (err: unknown) => this.log.error({ err }, 'city rtsp: could not write an audit row'),
      )
      .finally(() => this.auditing.delete(written));
    this.auditing.add(written);
  }

  /** Every checked credential goes through the login throttle: delays, then refusals, for an address that keeps guessing. */
  async admit(a: { user: string; verdict: 'ok' | 'wrong'; connection: RtspConnection }): Promise<string | undefined> {
    const verdict = await this.throttle.attempt(
      { realm: 'rtsp', address: a.connection.remoteAddress, name: a.user, known: (await this.credentials.ha1(a.user)) !== undefined },
      () => Promise.resolve(a.verdict === 'ok'),
    );
    if (verdict.outcome === 'wrong' && a.user && (await this.credentials.ha1(a.user)) !== undefined) {
      await this.audit.record({ actor: a.user, action: 'login.failed', target: a.user, ip: a.connection.remoteAddress, detail: { reason: 'wrong RTSP credential', via: 'rtsp' } });
    }
    if (verdict.outcome !== 'refused') return undefined;
    const seconds = Math.max(1, Math.ceil((verdict.until - Date.now()) / 1000));
    this.log.warn({ ip: a.connection.remoteAddress, user: a.user, reason: verdict.reason }, 'city rtsp login refused by the throttle');
    return verdict.reason === 'busy' ? `the hub is busy checking logins: try again in ${seconds} s` : `too many failed logins from this address: try again in ${seconds} s`;
  }

  async resolve(url: string, method: 'DESCRIBE' | 'SETUP' | 'PLAY', connection: RtspConnection): Promise<Resolved> {
    const path = parseCityPath(url);
    if (!path.ok) return { ok: false, status: path.status, body: path.reason };
    const user = connection.user;
    if (user === undefined) return { ok: false, status: 401 };
    // ungranted never opens a relay; a grant that cannot be looked at is not one
    let access: CityAccess;
    try {
      access = await this.grants.check(path.ward, path.camera, 'live');
    } catch (err) {
      this.log.error({ err, user, ward: path.ward, camera: path.camera }, 'city rtsp refused: the city\'s grants could not be read');
      return { ok: false, status: 503, body: 'the hub cannot read the city\'s grants now: try again in a moment' };
    }
    if (!access.ok) {
      this.log.info({ user, ward: path.ward, camera: path.camera, ip: connection.remoteAddress, method }, 'city rtsp refused: not granted');
      return { ok: false, status: 403, body: access.reason };
    }
    const state = this.connections.get(connection);
    if (!state) return { ok: false, status: 503 };
    const key = `${path.ward}/${path.camera}/${path.stream}`;
    if (method === 'PLAY') {
      const feed = [...state.feeds].find((f) => f.key === key && !f.ended);
      if (!feed) return { ok: false, status: 503, body: 'the camera\'s stream ended: describe it again' };
      const granted = this.playGrants.get(connection) ?? new Map<string, string>();
      this.playGrants.set(connection, granted.set(key, access.grantId));
      return { ok: true, stream: feed, track: path.track, base: path.base };
    }
    const feed = await this.feedFor(path.ward, path.camera, path.stream, user, connection);
    if (!(feed instanceof CityFeed)) return feed;
    if (connection.closed) return { ok: false, status: 503 };
    // held while the ward box starts sending, so a short linger cannot end it under this DESCRIBE
    state.feeds.add(feed);
    feed.hold(connection);
    const problem = await feed.ready(READY_TIMEOUT_MS);
    if (problem !== undefined) {
      state.feeds.delete(feed);
      feed.release(connection);
      return { ok: false, status: 503, body: problem };
    }
    return { ok: true, stream: feed, track: path.track, base: path.base };
  }

  private async feedFor(ward: string, camera: string, stream: CityStream, user: string, connection: RtspConnection): Promise<CityFeed | Extract<Resolved, { ok: false }>> {
    const key = `${ward}/${camera}/${stream}`;
    const existing = this.feeds.get(key);
    if (existing && !existing.ended) return existing;
    let opening = this.opening.get(key);
    if (!opening) {
      opening = this.open(ward, camera, stream, user, connection).finally(() => this.opening.delete(key));
      this.opening.set(key, opening);
    }
    return opening;
  }

  private async open(ward: string, camera: string, stream: CityStream, user: string, connection: RtspConnection): Promise<CityFeed | Extract<Resolved, { ok: false }>> {
    const origin = this.relayOrigin(connection.localAddress);
    if (!origin) return { ok: false, status: 503, body: 'the hub\'s http server is down, and ward boxes send live video to it: see the hub\'s log' };
    const opened = await this.live.open({ ward, camera, stream, by: user, ip: connection.remoteAddress, origin });
    if (!opened.ok) return { ok: false, ...rtspRefusal(opened) };
    const hooks: FeedHooks = {
      played: (f, c) => this.played(f, c),
      stopped: (f, c) => this.stopped(f, c),
      ended: (f) => {
        if (this.feeds.get(f.key) === f) this.feeds.delete(f.key);
        this.live.close(f.relayId);
      },
    };
    const feed = new CityFeed(ward, camera, stream, opened.relayId, user, { lingerMs: this.config.lingerMs, logger: this.log, hooks });
    this.feeds.set(feed.key, feed);
    const leave = this.live.read(opened.relayId, feed.reader);
    if (!leave) feed.end('the live view ended before it started');
    else feed.attach(leave);
    this.log.info({ ward, camera, stream, relayId: opened.relayId, by: user }, 'city rtsp feed opened');
    return feed;
  }

  private played(feed: CityFeed, connection: RtspConnection): void {
    // the grant its PLAY was checked against a moment ago
    const session: Session = { connection, feed, grantId: this.playGrants.get(connection)?.get(feed.key) ?? '', since: Date.now() };
    this.sessions.add(session);
    this.note(this.audit.record({ actor: connection.user ?? 'unknown', action: 'city.rtsp.view', target: `${feed.ward}/${feed.camera}`, ip: connection.remoteAddress,
      detail: { ward: feed.ward, camera: feed.camera, stream: feed.stream, grant: session.grantId, relayId: feed.relayId } }));
  }

  private stopped(feed: CityFeed, connection: RtspConnection): void {
    for (const s of this.sessions) {
      if (s.feed !== feed || s.connection !== connection) continue;
      this.sessions.delete(s);
      this.note(this.audit.record({ actor: connection.user ?? 'unknown', action: 'city.rtsp.end', target: `${feed.ward}/${feed.camera}`, ip: connection.remoteAddress,
        detail: { ward: feed.ward, camera: feed.camera, stream: feed.stream, grant: s.grantId, seconds: Math.round((Date.now() - s.since) / 1000), reason: this.endReasons.get(connection) ?? feed.endMessage ?? 'the reader left' } }));
    }
  }

  /**
   * Ends every connection whose camera is no longer granted (a revoke, an emergency closed, a grant run out). One at
   * a time: asked again while one runs, it runs once more after it. A look that fails leaves the sessions to the
   * next one (within a second).
   */
  private recheck(): Promise<void> {
    if (this.rechecking) {
      this.recheckAgain = true;
      return this.rechecking;
    }
    this.rechecking = (async () => {
      do {
        this.recheckAgain = false;
        try {
          await this.recheckOnce();
        } catch (err) {
          if (!this.closing) this.log.error({ err }, 'city rtsp: the city\'s grants could not be read to recheck the sessions');
        }
      } while (this.recheckAgain);
    })().finally(() => (this.rechecking = undefined));
    return this.rechecking;
  }

  private async recheckOnce(): Promise<void> {
    // one look per camera, however many connections read it
    const looks = new Map<string, Promise<CityAccess>>();
    for (const [connection, state] of [...this.connections]) {
      for (const feed of [...state.feeds]) {
        if (feed.ended) continue;
        const camera = `${feed.ward}/${feed.camera}`;
        let look = looks.get(camera);
        if (!look) looks.set(camera, (look = this.grants.check(feed.ward, feed.camera, 'live')));
        const access = await look;
        if (access.ok || connection.closed) continue;
        this.endReasons.set(connection, access.reason);
        this.log.info({ user: connection.user, ward: feed.ward, camera: feed.camera, reason: access.reason }, 'city rtsp session ended: no longer granted');
        connection.close();
        break;
      }
    }
  }

  private sweep(): void {
    void this.recheck();
    const now = Date.now();
    for (const [connection, state] of this.connections) {
      if (connection.idleSeconds(now) > this.sessionTimeoutSeconds) {
        this.endReasons.set(connection, 'idle: nothing heard from the reader');
        connection.close();
      } else if (connection.user === undefined && now - state.openedAt > UNAUTHENTICATED_MS) connection.close();
    }
  }

  private accept(socket: net.Socket): void {
    const address = socket.remoteAddress?.replace(/^::ffff:/, '') ?? '?';
    const fromThere = this.perAddress.get(address) ?? 0;
    const refused = refuseConnection({ open: this.connections.size, fromAddress: fromThere, maxConnections: this.config.maxConnections, maxConnectionsPerAddress: this.config.maxConnectionsPerAddress });
    if (refused) {
      this.log.warn({ ip: address }, `city rtsp connection refused: ${refused}`);
      socket.on('error', () => undefined);
      socket.destroy();
      return;
    }
    this.perAddress.set(address, fromThere + 1);
    const connection = new RtspConnection(socket, this, (closed) => {
      const state = this.connections.get(closed);
      this.connections.delete(closed);
      const n = (this.perAddress.get(address) ?? 1) - 1;
      if (n > 0) this.perAddress.set(address, n);
      else this.perAddress.delete(address);
      for (const feed of state?.feeds ?? []) feed.release(closed);
    });
    this.connections.set(connection, { openedAt: Date.now(), feeds: new Set() });
  }
}
