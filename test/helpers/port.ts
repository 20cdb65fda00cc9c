/**
 * @module A TCP port on 127.0.0.1 that nothing listens on right now: for a server a test starts, or
 * for a destination whose connections must be refused.
 */
import { createServer } from 'node:net';

/** Bind port 0 on 127.0.0.1, read the port the system gave, close. */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });
}
