import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDsrServer } from '../admin/dsr-server.js';
import { startFake, type VendorFake } from '../fakes/fake-server.js';
import { startMetaFake, type MetaFake } from '../fakes/meta-fake.js';
import { ADMIN_SECRET, hsToken } from '../helpers/tokens.js';
import { testApp } from '../helpers/runtime.js';
import { openSse, type SseClient } from '../metrics/sse-client.js';

/** One person's data, in every form a leak could take. */
const PERSON = {
  email: 'Janelle.Quixote-Roe@Example.org',
  phone: '+1 (415) 555-2671',
  first_name: 'Janelle',
  last_name: 'Quixote-Roe',
  user_id: 'jr-user-7781',
  client_id: '1122334455.1700000099',
};
const FORBIDDEN = [
  PERSON.email,
  PERSON.phone,
  '4155552671',
  '14155552671',
  '+14155552671',
  '(415) 555-2671',
  PERSON.first_name,
  'Quixote',
];
/** Also kept out of logs (but they may appear in vendor error bodies, which echo the payload). */
const IDS = [PERSON.user_id, PERSON.client_id];

function expectClean(text: string, secrets: string[], label: string): void {
  const hay = text.toLowerCase();
  for (const s of secrets) {
    for (const form of new Set([s.toLowerCase(), encodeURIComponent(s).toLowerCase(), encodeURIComponent(encodeURIComponent(s)).toLowerCase()])) {
      expect(hay.includes(form), `${label} leaked ${JSON.stringify(form)}`).toBe(false);
    }
  }
}

/** A port nothing listens on: sends there throw (and are logged) before they are dead-lettered. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  const port = (s.address() as AddressInfo).port;
  await new Promise((ok) => s.close(ok));
  return port;
}

/** A GA4 endpoint that refuses everything with a 400 echoing the request body, as some vendors do. */
const startEchoFake = () => startFake((req) => ({ status: 400, body: JSON.stringify({ error: 'bad request', received: req.raw }) }));

const destinations = (ga4: string, meta: string, down: number) => [
  { id: 'lake', type: 'sqlite' },
  { id: 'ga4', type: 'ga4', measurement_id: 'G-TEST1234', api_secret: 'ga4-secret', endpoint: ga4 },
  { id: 'meta', type: 'meta_capi', pixel_id: '999999999999', access_token: 'test-access-token', endpoint: meta },
  { id: 'meta_down', type: 'meta_capi', pixel_id: '123456789012345', access_token: 'test-access-token', endpoint: `http://127.0.0.1:${down}` },
];

const GRANTED = { analytics_storage: 'granted', ad_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted' };

/**
 * The flow: native events with the person's data (and some rejected ones that carry it), gtag hits
 * with it in the URL and params, a consent choice, invalid admin requests naming the person, the
 * observability routes (metrics, a debug session, its link, a traced event carrying the person's data
 * and its live stream), then erasure by each identifier. Returns every error body answered and the
 * debug stream (still open: its deliveries come later).
 */
async function sendFlow(base: string): Promise<{ bodies: string[]; stream: SseClient }> {
  const bodies: string[] = [];
  const keep = async (res: Response) => {
    const text = await res.text();
    if (res.status >= 400) bodies.push(`${res.status} ${text}`);
    return res;
  };
  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body }).then(keep);
  const user = { email: PERSON.email, phone: PERSON.phone, first_name: PERSON.first_name, last_name: PERSON.last_name, user_id: PERSON.user_id };
  const page = { url: `https://shop.example/thanks?email=${encodeURIComponent(PERSON.email)}&name=${PERSON.first_name}` };

  await post('/v1/consent', JSON.stringify({ consent: { analytics_storage: 'granted', ad_storage: 'granted' }, client_id: PERSON.client_id }));
  const ok = await post('/v1/events', JSON.stringify({
    events: [
      { name: 'sign_up', event_id: 'pii-1', client: { client_id: PERSON.client_id }, user, page, consent: GRANTED, params: { method: 'email' } },
      { name: 'purchase', event_id: 'pii-2', client: { client_id: PERSON.client_id }, user, consent: GRANTED, params: { value: 30, currency: 'USD' } },
      // Rejected neighbours that carry the data in bad places.
      { name: `bad name ${PERSON.first_name}`, user },
      { name: 'login', user: { ...user, email: { address: PERSON.email } } },
      { name: 'login', user: { ...user, last_name: `${PERSON.last_name} ${'x'.repeat(2000)}` } },
    ],
  }));
  expect(ok.status).toBe(202);
  // A whole body rejected: an event object that is not one.
  await post('/v1/events', JSON.stringify({ events: PERSON.email }));
  await post('/v1/events', `{"name":"x","user":{"email":"${PERSON.email}"`);

  const hit = new URLSearchParams({
    v: '2',
    tid: 'G-TEST1234',
    cid: PERSON.client_id,
    uid: PERSON.user_id,
    en: 'generate_lead',
    dl: page.url,
    // Free text (a title naming the visitor) cannot be recognised and would reach GA4 as page_title.
    dt: 'Thanks for signing up',
    'ep.customer_email': PERSON.email,
    gcs: 'G111',
  });
  expect((await fetch(`${base}/g/collect?${hit}`).then(keep)).status).toBe(204);
  const batch = [`en=page_view&ep.phone=${encodeURIComponent(PERSON.phone)}`, `en=bad%20name%20${PERSON.first_name}`].join('\n');
  await fetch(`${base}/g/collect?${hit}`, { method: 'POST', body: batch }).then(keep);

  const write = await hsToken({ scope: 'dsr:write dsr:read', sub: 'dpo' });
  const admin = (method: string, path: string, body?: unknown) =>
    fetch(`${base}/admin/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${write}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(keep);
  await admin('POST', '/erasure', { email: PERSON.first_name });
  await admin('POST', '/erasure', { phone: PERSON.first_name });
  await admin('POST', '/erasure', { email: PERSON.email, phone: PERSON.phone });
  await admin('POST', '/erasure', { email: PERSON.email, name: PERSON.last_name });
  expect((await admin('GET', `/export?email=${encodeURIComponent(PERSON.email)}`)).status).toBe(200);

  // Observability: /metrics without and with its scope, request ids, a debug session traced end to end.
  await fetch(`${base}/metrics`).then(keep);
  const scraped = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${await hsToken({ scope: 'metrics:read' })}` } }).then(keep);
  expect(scraped.status).toBe(200);
  const debugAuth = { authorization: `Bearer ${await hsToken({ scope: 'debug:read' })}` };
  const opened = await fetch(`${base}/admin/v1/debug/sessions`, { method: 'POST', headers: debugAuth, body: JSON.stringify({ label: 'pii flow' }) });
  expect(opened.status).toBe(201);
  const session = (await opened.json()) as { id: string; token: string; link: string };
  await fetch(`${base}/admin/v1/debug/sessions`, { method: 'POST', headers: debugAuth, body: JSON.stringify({ label: PERSON.email, ttl: PERSON.phone }) }).then(keep);
  await fetch(`${base}/debug/link?token=${encodeURIComponent(PERSON.email)}`).then(keep);
  expect((await fetch(`${base}${session.link}`, { redirect: 'manual' }).then(keep)).status).toBe(200);
  const stream = await openSse(`${base}/admin/v1/debug/sessions/${session.id}/stream`, debugAuth);
  await stream.waitFor((m) => m.stage === 'hello');
  const traced = await post(
    '/v1/events',
    JSON.stringify({ events: [{ name: 'purchase', event_id: 'pii-dbg', client: { client_id: PERSON.client_id }, user, page, consent: GRANTED, params: { value: 9, currency: 'USD', customer_email: PERSON.email } }] }),
    { 'x-tagrelay-debug': session.token, 'x-request-id': 'pii-flow-request-0001' },
  );
  expect(traced.status).toBe(202);
  expect(traced.headers.get('x-request-id')).toBe('pii-flow-request-0001');
  await stream.waitFor((m) => m.stage === 'identity');
  return { bodies, stream };
}

/** The traced event's answers from every vendor (each refuses it its own way), and none of the person's data in the stream. */
async function checkStream(stream: SseClient): Promise<void> {
  for (const dest of ['ga4', 'meta', 'meta_down', 'lake']) await stream.waitFor((m) => m.stage === 'answer' && m.destination_id === dest, 15_000);
  const ga4 = await stream.waitFor((m) => m.stage === 'answer' && m.destination_id === 'ga4');
  // The GA4 fake echoed the request (client and user ids in clear) in its 400: the excerpt is masked.
  expect(ga4).toMatchObject({ status: 400, outcome: 'failed', body_excerpt: expect.stringContaining('received') });
  expectClean(stream.raw(), [...FORBIDDEN, ...IDS], 'debug stream');
  expect(stream.raw()).not.toContain('ga4-secret');
  expect(stream.raw()).not.toContain('test-access-token');
  stream.close();
}

/** Erasure by each identifier, once delivery has failed. */
async function eraseAll(base: string): Promise<void> {
  const token = await hsToken({ scope: 'dsr:write', sub: 'dpo' });
  for (const body of [{ email: PERSON.email }, { phone: PERSON.phone }, { user_id: PERSON.user_id }, { client_id: PERSON.client_id }]) {
    const res = await fetch(`${base}/admin/v1/erasure`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
    expect(res.status).toBe(200);
  }
}

describe('no personal data in logs or error bodies: in-process, with a capturing logger', () => {
  let srv: Awaited<ReturnType<typeof startDsrServer>>;
  let ga4: VendorFake;
  let meta: MetaFake;
  beforeAll(async () => {
    ga4 = await startEchoFake();
    meta = await startMetaFake();
    srv = await startDsrServer({ destinations: destinations(ga4.url, meta.url, await closedPort()) as never, delivery: { max_attempts: 3, backoff_base: 0, backoff_max: 0 } });
  });
  afterAll(async () => {
    await srv?.close();
    await ga4?.close();
    await meta?.close();
  });

  it('through ingest, consent, failed deliveries, dead letters and erasure', async () => {
    const { bodies, stream } = await sendFlow(srv.base);
    expect(bodies.length).toBeGreaterThanOrEqual(9);
    await srv.settle();
    await srv.settle();
    await srv.settle();
    const dead = await srv.db.all<{ destination_id: string; reason: string }>('SELECT destination_id, reason FROM dead_letter');
    // The flow is real: every vendor failed its way, and the GA4 fake echoed what it was sent.
    expect(new Set(dead.map((d) => d.destination_id))).toEqual(new Set(['ga4', 'meta', 'meta_down']));
    expect(dead.some((d) => d.reason.includes('received'))).toBe(true);
    const errors = (await srv.db.all<{ error: string | null }>('SELECT error FROM delivery_log')).map((r) => r.error ?? '');
    await checkStream(stream);
    await eraseAll(srv.base);

    const logText = srv.log.text();
    expect(logText).toContain('send incomplete');
    expect(logText).toContain('dsr erasure');
    expect(logText).toContain('gtag hit lines rejected');
    expectClean(logText, [...FORBIDDEN, ...IDS], 'log');
    expectClean(bodies.join('\n'), [...FORBIDDEN, ...IDS], 'error body');
    expectClean([...dead.map((d) => d.reason), ...errors].join('\n'), FORBIDDEN, 'stored vendor error');
  });
});

describe('no personal data on the real process’s stderr', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tagrelay-pii-'));
  let child: ChildProcess | undefined;
  let ga4: VendorFake;
  let meta: MetaFake;
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await ga4?.close();
    await meta?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('through the same flow, then a clean shutdown', async () => {
    ga4 = await startEchoFake();
    meta = await startMetaFake();
    const file = join(dir, 'tagrelay.json');
    writeFileSync(
      file,
      JSON.stringify({
        dev_mode: false,
        admin: { jwt: { secret: '${TAGRELAY_ADMIN_SECRET}' } },
        privacy: { pseudonymization: { salt: '${TAGRELAY_SALT}', salt_id: 'p1' } },
        delivery: { max_attempts: 3, backoff_base: '1ms', backoff_max: '5ms', poll_interval: '20ms' },
        destinations: destinations(ga4.url, meta.url, await closedPort()),
      }),
    );
    child = spawn(process.execPath, ['--import', 'tsx', 'src/runtime/node/cli.ts', 'serve', '--config', file], {
      env: { ...process.env, HOST: '127.0.0.1', PORT: '0', TAGRELAY_LOG_LEVEL: 'debug', TAGRELAY_DATA_DIR: dir, TAGRELAY_ADMIN_SECRET: ADMIN_SECRET, TAGRELAY_SALT: 'process-salt-0123456789abcdef' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    const port = await new Promise<number>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`server did not start: ${stderr}`)), 20_000);
      child!.stderr!.on('data', (c: Buffer) => {
        stderr += c.toString();
        const m = /"msg":"tagrelay listening".*?"port":(\d+)/.exec(stderr);
        if (m) {
          clearTimeout(timer);
          ok(Number(m[1]));
        }
      });
      child!.once('exit', (code) => fail(new Error(`server exited with ${code}: ${stderr}`)));
    });
    const base = `http://127.0.0.1:${port}`;
    const { bodies, stream } = await sendFlow(base);
    await checkStream(stream);

    // Wait until all three vendors have dead-lettered (the worker runs on its own in the process).
    const read = await hsToken({ scope: 'dlq:read' });
    const deadline = Date.now() + 15_000;
    let dead: { destination_id: string }[] = [];
    while (Date.now() < deadline) {
      const res = await fetch(`${base}/admin/v1/dead-letter?limit=1000`, { headers: { authorization: `Bearer ${read}` } });
      dead = ((await res.json()) as { items: { destination_id: string }[] }).items;
      if (new Set(dead.map((d) => d.destination_id)).size === 3) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(new Set(dead.map((d) => d.destination_id))).toEqual(new Set(['ga4', 'meta', 'meta_down']));
    await eraseAll(base);

    const exited = new Promise<number | null>((ok) => child!.once('exit', ok));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/"msg":"(ga4|meta_capi) send incomplete"/);
    expect(stderr).toContain('"msg":"dsr erasure"');
    expect(stderr).toContain('tagrelay stopped');
    // Request-scoped lines carry the request id.
    expect(stderr).toMatch(/"msg":"gtag hit lines rejected".*"request_id":"[0-9a-f]{16}"|"request_id":"[0-9a-f]{16}".*"msg":"gtag hit lines rejected"/);
    expectClean(stderr + stdout, [...FORBIDDEN, ...IDS], 'process output');
    expectClean(bodies.join('\n'), [...FORBIDDEN, ...IDS], 'error body');
  });
});

describe('startup warning for the public development salt', () => {
  it.each([
    [{ dev_mode: false }, true],
    [{ dev_mode: true }, false],
    [{ dev_mode: false, privacy: { pseudonymization: { salt: 'a-real-secret-salt-0123456789' } } }, false],
  ])('%j → warns: %s', async (input, warns) => {
    const { app, log } = testApp(input);
    await app.services.ready;
    await app.services.close();
    const warning = log.lines.filter((l) => l.level === 'warn' && l.fields?.reason === 'privacy.dev_salt');
    expect(warning).toHaveLength(warns ? 1 : 0);
    // The warning names the setting, never the salt.
    expect(log.text()).not.toContain('tagrelay-dev-salt');
  });
});
