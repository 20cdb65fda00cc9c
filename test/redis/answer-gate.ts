/**
 * @module An HTTP gate in front of the vendor fakes for one tagrelay instance: it forwards each request
 * to the fake that serves its path (the vendor receives it) and passes the answer back — until `hold()`,
 * after which answers are kept from the instance. A request whose answer is held is one the instance
 * sent and cannot have settled: its deliveries stay claimed (pending) in Redis for as long as the gate
 * holds, so a SIGKILL then leaves pending entries for certain, on any machine speed.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request whose answer the gate keeps. */
export interface HeldRequest {
  path: string;
  /** The parsed JSON body the instance sent (and the vendor received). */
  body: unknown;
}

/** The gate. */
export interface AnswerGate {
  url: string;
  /** From now on, every answer (also of requests already forwarded) is kept from the instance. */
  hold(): void;
  /** The requests whose answers are held, in arrival order. */
  held(): readonly HeldRequest[];
  /** Drop the held answers (their connections are destroyed) and stop. */
  close(): Promise<void>;
}

/**
 * @example
 * const gate = await startAnswerGate((path) => (path.startsWith('/mp/') ? ga.url : meta.url))
 */
export async function startAnswerGate(target: (path: string) => string): Promise<AnswerGate> {
  let holding = false;
  const held: { req: HeldRequest; res: ServerResponse }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const raw = Buffer.concat(chunks);
        const url = req.url ?? '/';
        const path = url.split('?', 1)[0]!;
        let status = 502;
        let body = '';
        let type: string | null = null;
        try {
          const answer = await fetch(`${target(path)}${url}`, {
            method: req.method,
            headers: { 'content-type': String(req.headers['content-type'] ?? 'application/json') },
            body: req.method === 'GET' || req.method === 'HEAD' ? undefined : raw,
          });
          status = answer.status;
          type = answer.headers.get('content-type');
          body = await answer.text();
        } catch {
          // the fake is gone (test teardown): answer 502
        }
        if (holding) {
          let parsed: unknown;
          try {
            parsed = JSON.parse(raw.toString('utf8'));
          } catch {
            parsed = undefined;
          }
          held.push({ req: { path, body: parsed }, res });
          return;
        }
        if (res.destroyed) return;
        res.writeHead(status, type ? { 'content-type': type } : {});
        res.end(body);
      })();
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hold: () => void (holding = true),
    held: () => held.map((h) => h.req),
    close: () =>
      new Promise<void>((ok) => {
        for (const h of held) h.res.destroy();
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
