/**
 * The real Node server over raw sockets: oversized chunked bodies are cut at the limit without
 * being buffered, and ambiguous framing (request smuggling) is refused without desync.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../src/runtime/node/server.js';
import { configSchema } from '../../src/config/schema.js';

let server: RunningServer;
let dir: string;
const LIMIT = 256 * 1024;

beforeAll(async () => {
  process.env.TAGRELAY_LOG_LEVEL = 'silent';
  dir = mkdtempSync(join(tmpdir(), 'tagrelay-sec-'));
  server = await startServer(configSchema.parse({ dev_mode: true }), { port: 0, host: '127.0.0.1', dataDir: dir });
});
afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** `halfOpen`: keep writing after the server's FIN, as a hostile client does. */
function open(halfOpen = false): Promise<Socket> {
  return new Promise((ok, fail) => {
    const s = connect({ port: server.port, host: '127.0.0.1', allowHalfOpen: halfOpen });
    s.once('connect', () => ok(s));
    s.once('error', fail);
  });
}

/** Write raw bytes, then collect everything the server sends until it closes or goes quiet. */
async function exchange(raw: string): Promise<string> {
  const s = await open();
  return new Promise((ok) => {
    let got = '';
    let timer: ReturnType<typeof setTimeout>;
    const finish = () => {
      clearTimeout(timer);
      s.destroy();
      ok(got);
    };
    // The first answer may take a while on a busy machine (a 200-event body); after it, 1 s of
    // quiet means no second (smuggled) answer follows.
    const quiet = (ms = 1_000) => {
      clearTimeout(timer);
      timer = setTimeout(finish, ms);
    };
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      quiet();
    });
    s.on('close', finish);
    s.on('error', () => undefined);
    s.write(raw);
    quiet(15_000);
  });
}

const statuses = (text: string) => [...text.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((m) => Number(m[1]));
const memory = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

/**
 * Stream a chunked body of `total` bytes in 64 KiB chunks, yielding between chunks. A polite client
 * stops when the answer arrives; a hostile one keeps sending. Returns what was sent and received.
 */
async function streamChunked(path: string, total: number, polite: boolean) {
  const s = await open(!polite);
  let got = '';
  let closed = false;
  let sentAtAnswer = -1;
  let sent = 0;
  let peak = 0;
  const base = memory();
  s.on('data', (d: Buffer) => {
    if (sentAtAnswer < 0) sentAtAnswer = sent;
    got += d.toString('latin1');
  });
  s.on('close', () => (closed = true));
  s.on('error', () => undefined);
  s.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`);
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  while (!closed && sent < total && !(polite && got)) {
    const flushed = s.write(`${chunk.length.toString(16)}\r\n`) && s.write(chunk) && s.write('\r\n');
    sent += chunk.length;
    if (!flushed) await new Promise((r) => (s.once('drain', r), s.once('close', r)));
    else await new Promise((r) => setImmediate(r));
    peak = Math.max(peak, memory() - base);
  }
  await new Promise<void>((r) => (closed ? r() : (s.once('close', () => r()), setTimeout(r, 3_000))));
  s.destroy();
  return { got, sent, sentAtAnswer, peak };
}

describe('oversized chunked bodies (no Content-Length)', () => {
  for (const path of ['/v1/events', '/g/collect?v=2&en=page_view', '/v1/consent', '/v1/explain']) {
    it(`${path}: a slowly streamed body over the limit is answered 413 while it is still streaming`, async () => {
      const r = await streamChunked(path, 64 * 2 ** 20, true);
      expect(statuses(r.got)[0]).toBe(413);
      expect(r.got).toContain('ERR_PAYLOAD_TOO_LARGE');
      expect(r.got.toLowerCase()).toContain('connection: close');
      // Answered once the limit was crossed, not after the 64 MiB the client offered.
      expect(r.sentAtAnswer).toBeGreaterThan(LIMIT);
      expect(r.sentAtAnswer).toBeLessThan(8 * LIMIT);
    });
  }

  it('a client that ignores the 413 and keeps streaming is not buffered: memory stays bounded, the server stays up', async () => {
    const total = 48 * 2 ** 20;
    const r = await streamChunked('/v1/events', total, false);
    expect(statuses(r.got)[0] ?? 413).toBe(413);
    // The server read on well past the limit (lingering close) …
    expect(r.sent).toBeGreaterThan(4 * LIMIT);
    // … and kept none of it: memory grew by less than what was streamed, and far less than the offer.
    expect(r.peak).toBeLessThan(r.sent);
    expect(r.peak).toBeLessThan(16 * 2 ** 20);
    const health = await fetch(`http://127.0.0.1:${server.port}/healthz`);
    expect(health.status).toBe(200);
  });

  it('a body just under the limit, streamed chunked, is still accepted', async () => {
    const pad = 'x'.repeat(900);
    const events = Array.from({ length: 200 }, (_, i) => ({ name: 'page_view', event_id: `near-limit-${i}`, page: { title: pad } }));
    const body = JSON.stringify({ events });
    expect(body.length).toBeLessThan(LIMIT);
    const chunks = body.match(/[\s\S]{1,8192}/g)!.map((c) => `${Buffer.byteLength(c).toString(16)}\r\n${c}\r\n`).join('');
    const got = await exchange(`POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${chunks}0\r\n\r\n`);
    expect(statuses(got)).toEqual([202]);
    expect(got).toContain('"accepted":200');
  });
});

describe('request smuggling over a raw socket', () => {
  const event = '{"name":"page_view"}';
  /** A second request hidden in the first one's body; a reply to it would mean the framing desynced. */
  const smuggled = 'GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n';
  const head = 'POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n';

  const refused: [string, string][] = [
    ['Content-Length and Transfer-Encoding: chunked', `${head}Content-Length: ${event.length}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled}`],
    ['Transfer-Encoding: chunked and Content-Length', `${head}Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n${event.length.toString(16)}\r\n${event}\r\n0\r\n\r\n${smuggled}`],
    ['two different Content-Lengths', `${head}Content-Length: ${event.length}\r\nContent-Length: ${event.length + smuggled.length}\r\n\r\n${event}${smuggled}`],
    ['Transfer-Encoding: xchunked', `${head}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n${smuggled}`],
    ['a space before the colon of Transfer-Encoding', `${head}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n${smuggled}`],
    ['Transfer-Encoding: chunked then identity', `${head}Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n${smuggled}`],
    ['chunked not last (chunked, gzip)', `${head}Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n${smuggled}`],
    ['Transfer-Encoding folded onto the next line (obs-fold)', `${head}Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n${smuggled}`],
    ['Transfer-Encoding on HTTP/1.0', `POST /v1/events HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled}`],
    ['a negative Content-Length', `${head}Content-Length: -1\r\n\r\n${smuggled}`],
    ['Content-Length: +20', `${head}Content-Length: +20\r\n\r\n${event}${smuggled}`],
    ['a hexadecimal Content-Length', `${head}Content-Length: 0x14\r\n\r\n${event}${smuggled}`],
    ['a space before the colon of Content-Length', `${head}Content-Length : 5\r\n\r\n${smuggled}`],
    ['bare LF line endings', head.replace(/\r\n/g, '\n') + `Content-Length: ${event.length}\n\n${event}${smuggled}`],
    ['a chunk size that overflows 64 bits', `${head}Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFF1\r\n${event}\r\n0\r\n\r\n${smuggled}`],
    ['bare LF after chunk sizes', `${head}Transfer-Encoding: chunked\r\n\r\n${event.length.toString(16)}\n${event}\n0\n\n${smuggled}`],
    ['a quoted chunk extension hiding a request', `${head}Transfer-Encoding: chunked\r\n\r\n${event.length.toString(16)};x="\r\n0\r\n\r\n${smuggled}"\r\n${event}\r\n0\r\n\r\n`],
    ['an Authorization header folded onto the next line', `GET /admin/v1/dead-letter HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer\r\n abc.def.ghi\r\n\r\n`],
    ['no Host on HTTP/1.1', 'GET /readyz HTTP/1.1\r\n\r\n'],
  ];
  for (const [name, raw] of refused) {
    it(`${name} → one 400, the connection closed, the hidden request never answered`, async () => {
      const got = await exchange(raw);
      expect(statuses(got)).toEqual([400]);
      expect(got).not.toContain('"ready"');
    });
  }

  // Framing every conforming parser reads the same way: the second request is a real pipelined one.
  const last = 'GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';
  const consistent: [string, string, number][] = [
    ['a pipelined request after a Content-Length body', `${head}Content-Length: ${event.length}\r\n\r\n${event}${last}`, 202],
    ['Transfer-Encoding: identity, chunked (chunked last)', `${head}Transfer-Encoding: identity, chunked\r\n\r\n${event.length.toString(16)}\r\n${event}\r\n0\r\n\r\n${last}`, 202],
    ['a tab before chunked', `${head}Transfer-Encoding:\tchunked\r\n\r\n${event.length.toString(16)}\r\n${event}\r\n0\r\n\r\n${last}`, 202],
  ];
  for (const [name, raw, first] of consistent) {
    it(`${name} → answered in order as two requests, the body read exactly`, async () => {
      const got = await exchange(raw);
      expect(statuses(got)).toEqual([first, 200]);
      expect(got).toContain('"accepted":1');
      expect(got).toContain('"ready"');
    });
  }

  it('after a refused request, the next connection is served normally', async () => {
    await exchange(refused[0]![1]);
    const got = await exchange(`${head}Content-Length: ${event.length}\r\nConnection: close\r\n\r\n${event}`);
    expect(statuses(got)).toEqual([202]);
  });
});
