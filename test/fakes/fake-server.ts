/**
 * @module A scriptable node:http server on 127.0.0.1 for vendor fakes: records requests, replays scripted failures.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A scripted answer that overrides the fake's own logic for one request. */
export interface ScriptedResponse {
  status: number;
  /** Raw body; JSON-encode it yourself. */
  body?: string;
  /** `Retry-After` header value (seconds or an HTTP date). */
  retryAfter?: string;
  /** Wait this long before answering (to trip client timeouts). */
  delayMs?: number;
}

/** One request the fake received. */
export interface ReceivedRequest<B = unknown> {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  raw: string;
  bytes: number;
  /** Parsed JSON body, `undefined` when it did not parse. */
  body: B | undefined;
  /** The status the fake answered. */
  status: number;
  /** `Date.now()` when the request arrived (before its body was read). */
  at: number;
}

/** What a vendor fake exposes to tests. */
export interface VendorFake<B = unknown> {
  url: string;
  received: ReceivedRequest<B>[];
  /** Answer the next requests with these, in order, before the fake's own logic resumes. */
  failNext(...responses: ScriptedResponse[]): void;
  close(): Promise<void>;
}

/** The fake's own answer for a request. */
export interface FakeAnswer {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * Start a fake on a random port (or `opts.port`, to bring a closed fake back at the same address);
 * `handle` is the vendor's behaviour when no failure is scripted. Every answer comes after the
 * vendor's latency ({@link vendorLatency}) or a scripted delay.
 */
/**
 * A vendor's round trip from a server: 20–50 ms. Never instant — an instant fake hides a delivery
 * path that sends one request at a time.
 */
export function vendorLatency(): number {
  return 20 + Math.floor(Math.random() * 31);
}

export async function startFake<B>(
  handle: (req: Omit<ReceivedRequest<B>, 'status' | 'at'>) => FakeAnswer,
  opts: { port?: number; latencyMs?: () => number } = {},
): Promise<VendorFake<B>> {
  const latency = opts.latencyMs ?? vendorLatency;
  const received: ReceivedRequest<B>[] = [];
  const script: ScriptedResponse[] = [];
  const server = createServer(async (req, res) => {
    const at = Date.now();
    const buf = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const raw = buf.toString('utf8');
    let body: B | undefined;
    try {
      body = JSON.parse(raw) as B;
    } catch {
      body = undefined;
    }
    const entry = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      raw,
      bytes: buf.length,
      body,
    };
    const scripted = script.shift();
    const answer: FakeAnswer = scripted
      ? { status: scripted.status, body: scripted.body, headers: scripted.retryAfter ? { 'retry-after': scripted.retryAfter } : {} }
      : handle(entry);
    received.push({ ...entry, status: answer.status, at });
    await new Promise((r) => setTimeout(r, scripted?.delayMs ?? latency()));
    if (res.destroyed) return;
    res.writeHead(answer.status, { ...(answer.body ? { 'content-type': 'application/json' } : {}), ...answer.headers });
    res.end(answer.body ?? '');
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    failNext: (...responses) => void script.push(...responses),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
