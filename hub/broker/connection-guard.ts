// Every broker socket passes through a guard before aedes reads a byte of it: each packet's declared size is checked
// as its fixed header arrives, a connection must log in within the deadline, and logins in progress are capped
// per remote address.
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { checkDeclaredSize, FixedHeaderReader } from './packet-size.js';

export type GuardRefusalKind = 'packetSize' | 'loginTimeout' | 'loginsPerAddress';

export interface GuardRefusal {
  kind: GuardRefusalKind;
  address: string;
  /** the ward, when the connection had logged in */
  ward?: string | undefined;
  reason: string;
  /** how many refusals this one line stands for (a flood from one address is logged once) */
  count: number;
}

/**
 * Logins in progress per remote address, with a cap (pure). Refusals while an address is at its cap are counted,
 * so that a flood is reported once when it starts and once, as a number, when the address drops below the cap.
 */
export class PendingLogins {
  private readonly pending = new Map<string, number>();
  private readonly refusedAtCap = new Map<string, number>();

  constructor(readonly max: number) {}

  /** `first`: the first refusal since this address reached its cap */
  enter(address: string): { ok: true } | { ok: false; first: boolean } {
    const n = this.pending.get(address) ?? 0;
    if (n < this.max) {
      this.pending.set(address, n + 1);
      return { ok: true };
    }
    const refused = this.refusedAtCap.get(address);
    this.refusedAtCap.set(address, (refused ?? 0) + 1);
    return { ok: false, first: refused === undefined };
  }

  /** Returns the refusals not yet reported for this address (all but the first of its last time at the cap). */
  leave(address: string): number {
    const n = (this.pending.get(address) ?? 1) - 1;
    if (n > 0) this.pending.set(address, n);
    else this.pending.delete(address);
    const refused = this.refusedAtCap.get(address);
    if (refused === undefined) return 0;
    this.refusedAtCap.delete(address);
    return refused - 1;
  }

  count(address: string): number {
    return this.pending.get(address) ?? 0;
  }
}

/**
 * The socket as aedes sees it: bytes pass through unchanged once `inspect` has accepted them; writes go straight to
 * the socket. Reading is paused when aedes stops reading, so TCP back-pressure reaches the sender.
 */
class GuardedConnection extends Duplex {
  constructor(
    private readonly socket: Socket,
    inspect: (chunk: Buffer) => boolean,
  ) {
    super({ allowHalfOpen: false });
    socket.on('data', (chunk: Buffer) => {
      if (inspect(chunk) && !this.push(chunk)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (err) => this.destroy(err));
    socket.on('close', () => this.destroy());
  }

  /** the peer, as on the socket: the login throttle counts failures per address */
  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    if (this.socket.write(chunk)) done();
    else this.socket.once('drain', () => done());
  }

  override _final(done: (err?: Error | null) => void): void {
    this.socket.end();
    done();
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.socket.destroy();
    done(err);
  }
}

export interface ConnectionGuardOptions {
  maxPayloadBytes: number;
  connectTimeoutMs: number;
  maxUnauthenticatedPerAddress: number;
  onRefusal: (refusal: GuardRefusal) => void;
}

interface Guarded {
  admit(ward: string): void;
  destroy(): void;
}

/** An IPv4 client of a dual-stack listener shows as `::ffff:a.b.c.d`; it is the same address as `a.b.c.d`. */
const plainAddress = (address: string) => (address.startsWith('::ffff:') && address.includes('.') ? address.slice('::ffff:'.length) : address);

export class ConnectionGuard {
  private readonly pendingLogins: PendingLogins;
  private readonly guarded = new Map<Duplex, Guarded>();

  constructor(private readonly options: ConnectionGuardOptions) {
    this.pendingLogins = new PendingLogins(options.maxUnauthenticatedPerAddress);
  }

  /** The connection aedes should handle, or undefined when the socket was refused (and destroyed). */
  wrap(socket: Socket): Duplex | undefined {
    const { maxPayloadBytes, connectTimeoutMs, onRefusal } = this.options;
    const address = socket.remoteAddress === undefined ? undefined : plainAddress(socket.remoteAddress);
    if (address === undefined) {
      socket.destroy(); // already gone
      return undefined;
    }
    const entered = this.pendingLogins.enter(address);
    if (!entered.ok) {
      socket.destroy();
      const reason = `${this.pendingLogins.max} connections from ${address} are already logging in (broker.maxUnauthenticatedPerAddress)`;
      if (entered.first) onRefusal({ kind: 'loginsPerAddress', address, reason, count: 1 });
      return undefined;
    }

    let ward: string | undefined;
    let pending = true;
    const leavePending = () => {
      if (!pending) return;
      pending = false;
      clearTimeout(deadline);
      const unreported = this.pendingLogins.leave(address);
      if (unreported > 0) onRefusal({ kind: 'loginsPerAddress', address, reason: `${unreported} more connections from ${address} were refused while ${this.pendingLogins.max} were logging in`, count: unreported });
    };
    const reader = new FixedHeaderReader((header) => checkDeclaredSize(header, { loggedIn: ward !== undefined, maxPayloadBytes }));
    const conn: GuardedConnection = new GuardedConnection(socket, (chunk) => {
      const decision = reader.feed(chunk);
      if (decision.ok) return true;
      onRefusal({ kind: 'packetSize', address, ward, reason: decision.reason, count: 1 });
      conn.destroy();
      return false;
    });
    const deadline = setTimeout(() => {
      onRefusal({ kind: 'loginTimeout', address, reason: `no login within ${connectTimeoutMs / 1000} s (broker.connectTimeoutSeconds)`, count: 1 });
      conn.destroy();
    }, connectTimeoutMs);
    this.guarded.set(conn, {
      admit(w) {
        ward = w;
        leavePending();
      },
      destroy: () => conn.destroy(),
    });
    conn.once('close', () => {
      leavePending();
      this.guarded.delete(conn);
    });
    return conn;
  }

  /** The connection's ward logged in: it no longer counts as pending, and its packets may be as large as a PUBLISH. */
  admit(conn: unknown, ward: string): void {
    this.guarded.get(conn as Duplex)?.admit(ward);
  }

  /** Logins in progress from one address. */
  pending(address: string): number {
    return this.pendingLogins.count(plainAddress(address));
  }

  /** Destroys every connection still open (aedes closes only those that logged in). */
  close(): void {
    for (const g of [...this.guarded.values()]) g.destroy();
  }
}
