import { createServer } from 'node:net';

/**
 * A port the OS considers free on loopback right now. Another process can take it before the caller
 * binds it, so callers that spawn a server on it retry with a new one.
 */
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
