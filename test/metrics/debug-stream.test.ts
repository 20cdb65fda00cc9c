/**
 * The live debug stream over a real socket: a session opened through the admin API, a tester's
 * browser carrying its token (header, or the cookie the link sets), each stage of an event sent after
 * the stream opened — input, accept, consent, identity, and per destination the decision, the vendor
 * request and its answer — with no clear personal data or secret in it; other visitors are not streamed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGa4Fake, type Ga4Fake } from '../fakes/ga4-fake.js';
import { startMetaFake, type MetaFake } from '../fakes/meta-fake.js';
import { ADMIN_SECRET, hsToken } from '../helpers/tokens.js';
import { startProxy } from './helpers.js';
import { openSse, type SseClient } from './sse-client.js';
import type { DebugAnswer, DebugConsent, DebugDecision, DebugIdentity, DebugInput, DebugMessage, DebugRequest, DebugSessionInfo } from '../../src/debug/types.js';

const PERSON = {
  email: 'Janelle.Quixote-Roe@Example.org',
  phone: '+1 (415) 555-2671',
  first_name: 'Janelle',
  last_name: 'Quixote-Roe',
  user_id: 'jr-user-7781',
  client_id: '1122334455.1700000099',
};
const FORBIDDEN = [PERSON.email, PERSON.phone, '4155552671', '+14155552671', PERSON.first_name, 'Quixote', PERSON.user_id, PERSON.client_id];
const SECRETS = ['ga4-secret-value', 'test-access-token'] as const;
const GRANTED = { analytics_storage: 'granted', ad_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted' };
const UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';

function expectClean(text: string, label: string): void {
  const hay = text.toLowerCase();
  for (const s of [...FORBIDDEN, ...SECRETS]) {
    for (const form of new Set([s.toLowerCase(), encodeURIComponent(s).toLowerCase()])) expect(hay.includes(form), `${label} leaked ${JSON.stringify(form)}`).toBe(false);
  }
}

const of = <S extends DebugMessage['stage']>(stream: SseClient, stage: S, eventId?: string) =>
  stream.messages.filter((m): m is Extract<DebugMessage, { stage: S }> => m.stage === stage && (eventId === undefined || ('event_id' in m && m.event_id === eventId)));

describe('live debug stream', () => {
  let ga4: Ga4Fake;
  let meta: MetaFake;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let debugToken: string;
  const streams: SseClient[] = [];

  const admin = async (method: string, path: string, body?: unknown, scope = 'debug:read') =>
    fetch(`${proxy.base}/admin/v1/debug${path}`, {
      method,
      headers: { authorization: `Bearer ${await hsToken({ scope })}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const stream = async (id: string, scope = 'debug:read') => {
    const s = await openSse(`${proxy.base}/admin/v1/debug/sessions/${id}/stream`, { authorization: `Bearer ${await hsToken({ scope })}` });
    streams.push(s);
    return s;
  };
  const visit = (event: Record<string, unknown>, headers: Record<string, string> = {}) =>
    proxy.post('/v1/events', event, { 'user-agent': UA, 'accept-language': 'de-DE', 'x-forwarded-for': '203.0.113.9', ...headers });

  beforeAll(async () => {
    ga4 = await startGa4Fake({ apiSecret: SECRETS[0] });
    meta = await startMetaFake({ pixelId: '123456789012345' });
    proxy = await startProxy({
      dev_mode: false,
      admin: { jwt: { secret: ADMIN_SECRET } },
      destinations: [
        { id: 'lake', type: 'sqlite' },
        { id: 'ga4', type: 'ga4', measurement_id: 'G-TEST1234', api_secret: SECRETS[0], endpoint: ga4.url },
        { id: 'meta', type: 'meta_capi', pixel_id: '123456789012345', access_token: SECRETS[1], endpoint: meta.url },
      ],
    });
  });
  afterAll(async () => {
    for (const s of streams) s.close();
    await proxy?.close();
    await ga4?.close();
    await meta?.close();
  });

  it('needs debug:read to open, list or stream a session', async () => {
    expect((await fetch(`${proxy.base}/admin/v1/debug/sessions`, { method: 'POST' })).status).toBe(401);
    expect((await admin('POST', '/sessions', {}, 'dlq:read')).status).toBe(403);
    const s = await stream('0123456789abcdef01234567', 'dsr:read');
    expect(s.status).toBe(403);
    expect((await stream('0123456789abcdef01234567')).status).toBe(404);
  });

  it('streams each stage of an event the tester sends after the stream opened, and nothing of other visitors', async () => {
    const opened = await admin('POST', '/sessions', { label: 'QA phone', ttl: '10m' });
    expect(opened.status).toBe(201);
    const info = (await opened.json()) as DebugSessionInfo;
    expect(info.token).toMatch(/^v1\.[0-9a-f]{24}\.\d+\.[0-9a-f]{64}$/);
    expect(info.link).toBe(`/debug/link?token=${encodeURIComponent(info.token!)}`);
    expect(Date.parse(info.expires_at) - Date.parse(info.created_at)).toBe(600_000);
    debugToken = info.token!;
    const live = await stream(info.id);
    expect(live.status).toBe(200);
    expect(live.headers.get('content-type')).toBe('text/event-stream');
    const hello = await live.waitFor((m) => m.stage === 'hello');
    expect(hello).toMatchObject({ seq: 0, session_id: info.id, session: { id: info.id, label: 'QA phone', listeners: 1, events: 0 } });
    expect((hello as { session: DebugSessionInfo }).session.token).toBeUndefined();

    // Another visitor at the same moment, with the same data: never streamed.
    const other = visit({ name: 'purchase', event_id: 'other-1', client: { client_id: '999.888' }, consent: GRANTED, params: { value: 5, currency: 'EUR' } });
    const traced = visit(
      {
        name: 'purchase',
        event_id: 'dbg-1',
        client: { client_id: PERSON.client_id },
        user: { email: PERSON.email, phone: PERSON.phone, first_name: PERSON.first_name, last_name: PERSON.last_name, user_id: PERSON.user_id },
        page: { url: `https://shop.example/thanks?email=${encodeURIComponent(PERSON.email)}&name=${PERSON.first_name}&utm_source=news` },
        consent: GRANTED,
        params: { value: 42.5, currency: 'EUR', customer_email: PERSON.email },
      },
      { 'x-tagrelay-debug': debugToken },
    );
    expect((await other).status).toBe(202);
    expect((await traced).status).toBe(202);
    for (const dest of ['lake', 'ga4', 'meta']) await live.waitFor((m) => m.stage === 'answer' && m.destination_id === dest && m.event_id === 'dbg-1');

    // 1. the input as received, masked
    const [input] = of(live, 'input', 'dbg-1') as DebugInput[];
    expect(input!.name).toBe('purchase');
    expect(input!.request).toMatchObject({ source: 'native', method: 'POST', path: '/v1/events' });
    expect(input!.request.headers['user-agent']).toBe(UA);
    expect(input!.request.headers['x-forwarded-for']).toBe('****');
    expect(input!.request.headers['x-tagrelay-debug']).toBeUndefined();
    expect(input!.event.user).toEqual({ email: '****', phone: '****', first_name: '****', last_name: '****', user_id: '****' });
    expect(input!.event.params).toEqual({ value: 42.5, currency: 'EUR', customer_email: '****' });
    expect((input!.event.page as { url: string }).url).toContain('utm_source=news');
    // 2. accepted; 3. consent per purpose with its source and reason
    expect(of(live, 'accept', 'dbg-1')).toEqual([expect.objectContaining({ status: 'accepted' })]);
    const [consent] = of(live, 'consent', 'dbg-1') as DebugConsent[];
    expect(consent!.purposes.analytics_storage).toEqual({ value: 'granted', source: 'explicit', reason: expect.stringMatching(/^consent\./) });
    expect(consent!.purposes.ad_user_data!.value).toBe('granted');
    expect(typeof consent!.region).toBe('string');
    // 4. identity and enrichment: hashed identifiers by name, clear ids masked, the device parsed
    const [identity] = of(live, 'identity', 'dbg-1') as DebugIdentity[];
    expect(identity!.hashed.meta).toEqual(expect.arrayContaining(['em', 'ph', 'fn', 'ln']));
    expect(identity!.client.client_id).toBe('****');
    expect(identity!.device).toMatchObject({ os: 'iOS', browser: 'Mobile Safari' });
    // 5. per destination: the decision with its reasons and payload
    const decisions = of(live, 'decision', 'dbg-1') as DebugDecision[];
    expect(decisions.map((d) => d.destination_id).sort()).toEqual(['ga4', 'lake', 'meta']);
    const ga4Decision = decisions.find((d) => d.destination_id === 'ga4')!;
    expect(ga4Decision).toMatchObject({ destination_type: 'ga4', action: 'send', attempt: 0 });
    expect((ga4Decision.payload as { client_id: string }).client_id).toBe('****');
    // 6. the vendor request as sent (secrets masked) and 7. the vendor's answer
    const [ga4Request] = of(live, 'request', 'dbg-1').filter((m) => m.destination_id === 'ga4') as DebugRequest[];
    expect(ga4Request!.url).toMatch(/\/mp\/collect\?/);
    expect(ga4Request!.url).not.toContain(SECRETS[0]);
    expect(ga4Request!.url).toContain('measurement_id=G-TEST1234');
    expect((ga4Request!.body as { events: { name: string }[] }).events[0]!.name).toBe('purchase');
    const answers = of(live, 'answer', 'dbg-1') as DebugAnswer[];
    expect(answers.find((a) => a.destination_id === 'ga4')).toMatchObject({ status: 204, outcome: 'delivered' });
    const metaAnswer = answers.find((a) => a.destination_id === 'meta')!;
    expect(metaAnswer).toMatchObject({ status: 200, outcome: 'delivered' });
    expect(JSON.parse(metaAnswer.body_excerpt!)).toMatchObject({ events_received: 1 });
    expect(answers.find((a) => a.destination_id === 'lake')).toMatchObject({ outcome: 'delivered' });
    // The vendors got the real thing (so the stream shows a real answer to a real request).
    expect(ga4.received.some((r) => r.raw.includes(PERSON.client_id))).toBe(true);

    // In order, numbered, and nothing of the other visitor.
    const order = live.messages.filter((m) => 'event_id' in m && m.event_id === 'dbg-1').map((m) => m.stage);
    expect(order.slice(0, 4)).toEqual(['input', 'accept', 'consent', 'identity']);
    expect(live.messages.map((m) => m.seq)).toEqual(live.messages.map((_, i) => i));
    expect(live.frames.map((f) => f.event)).toEqual(live.messages.map((m) => m.stage));
    expect(live.raw()).not.toContain('other-1');
    expectClean(live.raw(), 'debug stream');
  });

  it('traces the browser the link put the cookie in; forged, missing and unknown tokens are not traced', async () => {
    const info = (await (await admin('POST', '/sessions', { label: 'link' })).json()) as DebugSessionInfo;
    const live = await stream(info.id);
    await live.waitFor((m) => m.stage === 'hello');
    // The link: the cookie, then on to the site (same site only).
    const onward = `${proxy.base}/shop?from=qr`;
    const link = await fetch(`${proxy.base}${info.link}&to=${encodeURIComponent(onward)}`, { redirect: 'manual' });
    expect(link.status).toBe(302);
    expect(link.headers.get('location')).toBe(onward);
    const cookie = link.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^_tr_debug=v1\.[0-9a-f.]+; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Lax$/);
    const elsewhere = await fetch(`${proxy.base}${info.link}&to=${encodeURIComponent('https://evil.example.net/')}`, { redirect: 'manual' });
    expect(elsewhere.status).toBe(200);
    expect(await elsewhere.text()).toContain('Debug session on');
    expect((await fetch(`${proxy.base}/debug/link?token=v1.abc.1.def`)).status).toBe(401);

    const pair = cookie.split(';')[0]!;
    const forged = pair.slice(0, -4) + (pair.endsWith('0000') ? '1111' : '0000');
    expect((await visit({ name: 'page_view', event_id: 'forged-1', consent: GRANTED }, { cookie: forged })).status).toBe(202);
    expect((await visit({ name: 'page_view', event_id: 'plain-1', consent: GRANTED })).status).toBe(202);
    // A valid token of another session (the first test's) goes to that session, not this one.
    expect((await visit({ name: 'page_view', event_id: 'first-1', consent: GRANTED }, { 'x-tagrelay-debug': debugToken })).status).toBe(202);
    expect((await visit({ name: 'page_view', event_id: 'cookie-1', consent: GRANTED }, { cookie: `_ga=GA1.1.1.2; ${pair}` })).status).toBe(202);
    await live.waitFor((m) => m.stage === 'answer' && m.event_id === 'cookie-1' && m.destination_id === 'ga4');
    const ids = new Set(live.messages.flatMap((m) => ('event_id' in m ? [m.event_id] : [])));
    expect([...ids]).toEqual(['cookie-1']);
  });

  it('replays what a reconnecting stream missed (Last-Event-ID) and ends the stream when the session is closed', async () => {
    const info = (await (await admin('POST', '/sessions', {})).json()) as DebugSessionInfo;
    expect((await visit({ name: 'page_view', event_id: 'before-1', consent: GRANTED }, { 'x-tagrelay-debug': info.token! })).status).toBe(202);
    await proxy.settle();
    // Opened after the event: the session's buffer is replayed after hello.
    const late = await stream(info.id);
    await late.waitFor((m) => m.stage === 'answer' && m.event_id === 'before-1' && m.destination_id === 'ga4');
    const seen = late.messages.at(-1)!.seq;
    const resumed = await openSse(`${proxy.base}/admin/v1/debug/sessions/${info.id}/stream`, { authorization: `Bearer ${await hsToken({ scope: 'debug:read' })}`, 'last-event-id': String(seen - 2) });
    streams.push(resumed);
    await resumed.waitFor((m) => m.seq === seen);
    expect(resumed.messages.map((m) => m.seq)).toEqual([0, seen - 1, seen]);
    const listed = (await (await admin('GET', '/sessions')).json()) as { sessions: DebugSessionInfo[] };
    expect(listed.sessions.find((s) => s.id === info.id)).toMatchObject({ listeners: 2, events: 1 });
    expect(listed.sessions.every((s) => s.token === undefined)).toBe(true);

    // A viewer that goes away is unsubscribed (no listener left behind).
    resumed.close();
    const deadline = Date.now() + 5000;
    let listeners = -1;
    while (Date.now() < deadline) {
      listeners = ((await (await admin('GET', `/sessions/${info.id}`)).json()) as DebugSessionInfo).listeners;
      if (listeners === 1) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(listeners).toBe(1);

    expect((await admin('DELETE', `/sessions/${info.id}`)).status).toBe(204);
    expect(await late.waitFor((m) => m.stage === 'end')).toMatchObject({ reason: 'debug.session_closed' });
    await late.ended;
    // A closed session's token traces nothing, and its stream is gone.
    expect((await visit({ name: 'page_view', event_id: 'after-1', consent: GRANTED }, { 'x-tagrelay-debug': info.token! })).status).toBe(202);
    expect((await stream(info.id)).status).toBe(404);
  });
});
