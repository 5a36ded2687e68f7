// A port on 127.0.0.1 that the OS picked and is free now, for servers that cannot take port 0 and say which they got
// (Mosquitto, PostgreSQL). Another process may take it before the server does: callers retry on "address in use".
import { createServer } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
