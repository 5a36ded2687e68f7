// The broker's sockets: plain TCP (loopback tests) and TLS listeners from hub.yaml, bound to real ports.
import { readFileSync } from 'node:fs';
import net, { type Server, type Socket } from 'node:net';
import tls from 'node:tls';
import type { HubConfig } from '../../shared/config/load.js';

export type ListenerConfig = HubConfig['broker']['listeners'][number];

export interface BoundListener {
  type: ListenerConfig['type'];
  host: string;
  /** the real port (config may say 0) */
  port: number;
}

export interface Listeners {
  bound: BoundListener[];
  /** stops accepting; resolves when every connection has ended */
  close(): Promise<void>;
}

export interface ListenerOptions {
  /** a TLS handshake must end within this (it comes before the login deadline of hub/broker/connection-guard.ts) */
  handshakeTimeoutMs: number;
}

function createServer(l: ListenerConfig, handle: (socket: Socket) => void, { handshakeTimeoutMs }: ListenerOptions): Server {
  if (l.type === 'tcp') return net.createServer(handle);
  // the schema guarantees both files for tls
  return tls.createServer({ cert: readFileSync(l.certFile!), key: readFileSync(l.keyFile!), minVersion: 'TLSv1.2', handshakeTimeout: handshakeTimeoutMs }, handle);
}

function listenOn(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

export async function openListeners(configs: readonly ListenerConfig[], handle: (socket: Socket) => void, options: ListenerOptions): Promise<Listeners> {
  const servers: Server[] = [];
  const bound: BoundListener[] = [];
  const closeAll = async () => {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => (s.listening ? s.close(() => resolve()) : resolve()))));
  };
  try {
    for (const l of configs) {
      const server = createServer(l, handle, options);
      servers.push(server);
      bound.push({ type: l.type, host: l.host, port: await listenOn(server, l.host, l.port) });
    }
  } catch (err) {
    await closeAll();
    throw err;
  }
  return { bound, close: closeAll };
}
