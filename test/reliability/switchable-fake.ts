/**
 * @module A GA4 /mp/collect endpoint whose health the test switches: up, 503, hanging, or 429 with Retry-After.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the endpoint answers right now. */
export type Health =
  | { mode: 'up' }
  | { mode: 'unavailable' }
  /** Hold each request this long, then answer 503 (the client has timed out by then). */
  | { mode: 'hang'; holdMs: number }
  | { mode: 'throttled'; retryAfterSeconds: number };

/** One request as the endpoint saw it. */
export interface Hit {
  mode: Health['mode'];
  /** `eid` params of the events in the body. */
  eids: string[];
  receivedAt: number;
  /** When the answer went out (undefined while held or when the client left). */
  answeredAt?: number;
  /** When the client closed the connection before an answer (its timeout fired). */
  abandonedAt?: number;
  status: number;
}

/** The switchable endpoint. */
export interface SwitchableFake {
  url: string;
  health: Health;
  hits: Hit[];
  /** Event ids answered with 2xx, in order (may repeat). */
  delivered(): string[];
  close(): Promise<void>;
}

/** Start on a random 127.0.0.1 port, healthy. */
export async function startSwitchableFake(): Promise<SwitchableFake> {
  const held = new Set<ServerResponse>();
  const fake: SwitchableFake = {
    url: '',
    health: { mode: 'up' },
    hits: [],
    delivered: () => fake.hits.filter((h) => h.status >= 200 && h.status < 300 && h.answeredAt !== undefined).flatMap((h) => h.eids),
    close: async () => {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let eids: string[] = [];
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { events?: { params?: { eid?: unknown } }[] };
        eids = (body.events ?? []).map((e) => String(e.params?.eid));
      } catch {
        eids = [];
      }
      const health = fake.health;
      const hit: Hit = { mode: health.mode, eids, receivedAt: Date.now(), status: 0 };
      fake.hits.push(hit);
      const answer = (status: number, headers: Record<string, string> = {}) => {
        held.delete(res);
        if (res.destroyed) return;
        hit.status = status;
        hit.answeredAt = Date.now();
        res.writeHead(status, headers);
        res.end(status === 204 ? undefined : '{"error":"fake"}');
      };
      if (health.mode === 'up') answer(204);
      else if (health.mode === 'unavailable') answer(503);
      else if (health.mode === 'throttled') answer(429, { 'retry-after': String(health.retryAfterSeconds) });
      else {
        held.add(res);
        res.once('close', () => {
          if (hit.answeredAt === undefined) hit.abandonedAt = Date.now();
        });
        setTimeout(() => answer(503), health.holdMs);
      }
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}
