// Raw MQTT 3.1.1 bytes for the attacks no client sends: a fixed header with any declared length, and a writer that
// streams bytes behind it until the broker closes the socket.
import type net from 'node:net';

/** MQTT's remaining-length varint. */
export function varint(n: number): Buffer {
  const bytes: number[] = [];
  do {
    const digit = n % 128;
    n = Math.floor(n / 128);
    bytes.push(n > 0 ? digit | 0x80 : digit);
  } while (n > 0);
  return Buffer.from(bytes);
}

export const fixedHeader = (type: number, flags: number, remainingLength: number): Buffer => Buffer.concat([Buffer.from([(type << 4) | flags]), varint(remainingLength)]);

/** the largest remaining length MQTT can declare: 256 MiB − 1 */
export const MAX_VARINT = 268_435_455;

export interface Streamed {
  socket: net.Socket;
  closed: Promise<void>;
  isClosed: () => boolean;
}

/** Writes up to `total` bytes in 64 KiB chunks, waiting for drain; stops when the socket closes. Returns what it wrote. */
export async function stream(raw: Streamed, total: number): Promise<number> {
  const chunk = Buffer.alloc(64 * 1024, 0x41);
  let written = 0;
  while (written < total && !raw.isClosed() && !raw.socket.destroyed) {
    const ok = raw.socket.write(chunk);
    written += chunk.length;
    // not events.once: it rejects on the ECONNRESET that the broker's close causes
    if (!ok) await new Promise<void>((resolve) => (raw.socket.once('drain', resolve), void raw.closed.then(resolve)));
  }
  return written;
}
