/**
 * Issue 3 "done when", end to end: an EEA visitor without consent leaves nothing identifying anywhere;
 * after POST /v1/consent the same visitor's next event reaches GA4 and Meta with ids and hashed data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { cookieHeader, postJson, setCookies, startStack, type Stack } from './stack.js';
import { waitFor } from '../helpers/deadline.js';
import { parseSessionCookie } from '../../src/identity/session.js';
import { PURPOSES } from '../../src/consent/purposes.js';

const EMAIL = 'Jane.Doe@Example.com';
const EMAIL_SHA256 = createHash('sha256').update(EMAIL.trim().toLowerCase()).digest('hex');
const CLIENT_IP = '203.0.113.77';
const CLIENT_ID = '1234567890.1700000000';
const UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/136.0.0.0 Safari/537.36';
const PAGE = 'https://shop.example.com/cart';
const IDENTITY_COOKIES = ['_ga', '_tr_id', '_tr_s', '_fbp', '_fbc', 'tr_consent'];
/** A visitor in Germany (EEA: opt-in) behind the CDN that sets cf-ipcountry. */
const VISITOR = { 'cf-ipcountry': 'DE', 'x-forwarded-for': CLIENT_IP, 'user-agent': UA };

interface Words {
  code: string;
  explanation: string;
}

interface Delivery {
  destination_id: string;
  status: string;
  reasons: string[];
}

function addToCart(eventId: string, extra: Record<string, unknown> = {}) {
  return {
    name: 'add_to_cart',
    event_id: eventId,
    params: { currency: 'EUR', value: 19.9, items: [{ item_id: 'SKU-1', item_name: 'Tee', price: 19.9, quantity: 1 }] },
    user: { email: EMAIL },
    page: { url: PAGE },
    ...extra,
  };
}

/** Deliveries of one event, once every destination has a record. */
async function deliveries(stack: Stack, eventId: string, count: number): Promise<Record<string, Delivery>> {
  const rows = await waitFor(`${count} delivery records for ${eventId}`, async () => {
    const { deliveries: list } = await stack.admin<{ deliveries: Delivery[] }>(`/deliveries/${eventId}`);
    return list.length === count && list;
  });
  return Object.fromEntries(rows.map((r) => [r.destination_id, r]));
}

/** A JWS with its payload rewritten and the original signature kept. */
function forge(token: string, edit: (claims: Record<string, unknown>) => void): string {
  const [header, payload, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as Record<string, unknown>;
  edit(claims);
  return [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
}

describe('consent end to end (issue 3)', () => {
  let stack: Stack;
  const destinations = 3;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const deniedId = 'e2e-consent-denied';
  const grantedId = 'e2e-consent-granted';
  const forgedId = 'e2e-consent-forged';

  it('an EEA visitor without consent: 202, no identity cookies, nothing identifying stored, GA4 and Meta dropped with consent reasons', async () => {
    const res = await postJson(stack, '/v1/events', addToCart(deniedId, { client: { client_id: CLIENT_ID } }), VISITOR);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    const cookies = setCookies(res);
    for (const name of IDENTITY_COOKIES) expect(cookies.has(name)).toBe(false);

    const byDest = await deliveries(stack, deniedId, destinations);
    for (const id of ['ga4', 'meta']) expect(byDest[id]!.status).toBe('dropped');
    expect(byDest.ga4!.reasons).toContain('consent.purpose_denied:analytics_storage');
    expect(byDest.meta!.reasons).toEqual(expect.arrayContaining(['consent.purpose_denied:ad_storage', 'consent.purpose_denied:ad_user_data']));
    // The reason each purpose was denied: the EEA opt-in default, not a visitor choice.
    for (const id of ['ga4', 'meta']) expect(byDest[id]!.reasons.some((r) => r.startsWith('consent.region_'))).toBe(true);

    const rows = stack.query<Record<string, unknown>>('SELECT * FROM events WHERE event_id = ?', deniedId);
    expect(rows).toHaveLength(1);
    const text = JSON.stringify(rows[0]).toLowerCase();
    expect(text).not.toContain(EMAIL.toLowerCase());
    expect(text).not.toContain(EMAIL_SHA256);
    expect(text).not.toContain(CLIENT_ID);
    expect(text).not.toContain(CLIENT_IP);
    const data = JSON.parse(rows[0]!.data as string) as { ip?: string; user: Record<string, unknown> };
    if (data.ip !== undefined) expect(data.ip).toBe('203.0.113.0');
    expect(data.user.email).toBeUndefined();

    // The event's record (kept for delivery) holds no clear personal data, and its IP and User-Agent
    // are gone once every destination settled it.
    const record = await waitFor('the record without IP and User-Agent', () => {
      const [r] = stack.query<{ ip: string | null; user_agent: string | null; data: string }>('SELECT ip, user_agent, data FROM records WHERE event_id = ?', deniedId);
      return r !== undefined && r.ip === null && r.user_agent === null && r;
    });
    const kept = record.data.toLowerCase();
    expect(kept).not.toContain(EMAIL.toLowerCase());
    expect(kept).not.toContain(CLIENT_IP);
    // No destination may receive this visitor's identity, so the record keeps none either.
    expect(kept).not.toContain(EMAIL_SHA256);
    expect(kept).not.toContain(CLIENT_ID);
  });

  let consentCookies: Map<string, { value: string; attributes: string[] }>;

  it('POST /v1/consent granting every purpose sets the HttpOnly receipt and the identity cookies', async () => {
    const granted = Object.fromEntries(PURPOSES.map((p) => [p, 'granted']));
    const res = await postJson(stack, '/v1/consent', { consent: granted, source: 'banner' }, VISITOR);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { receipt: string; state: Record<string, string>; region: string };
    expect(body.state).toEqual(granted);
    expect(body.region).toBe('DE');
    consentCookies = setCookies(res);
    const receipt = consentCookies.get('tr_consent');
    expect(receipt?.value).toBe(body.receipt);
    expect(receipt?.attributes).toContain('httponly');
    for (const name of ['_ga', '_tr_id', '_tr_s', '_fbp']) expect(consentCookies.has(name)).toBe(true);
    expect(consentCookies.get('_tr_id')!.attributes).toContain('httponly');
  });

  it('the next event with those cookies reaches GA4 (client id, consent granted, hashed email) and Meta (hashed em, fbp)', async () => {
    const gaBefore = stack.ga4.collected().length;
    const metaBefore = stack.meta.accepted().length;
    const res = await postJson(stack, '/v1/events', addToCart(grantedId), { ...VISITOR, cookie: cookieHeader(consentCookies) });
    expect(res.status).toBe(202);

    const clientId = consentCookies.get('_ga')!.value.split('.').slice(2).join('.');
    const session = parseSessionCookie(consentCookies.get('_tr_s')!.value)!;
    const fbp = consentCookies.get('_fbp')!.value;
    expect(session.session_id).toMatch(/^\d+$/);

    const [gaHit] = await waitFor('one more GA4 request', () => stack.ga4.collected().length === gaBefore + 1 && stack.ga4.collected().slice(gaBefore));
    expect(stack.ga4.problems().flat()).toEqual([]);
    expect(gaHit!.query).toEqual({ measurement_id: 'G-E2ETEST42', api_secret: 'e2e-ga4-api-secret' });
    const ga = gaHit!.body!;
    expect(ga).toMatchObject({
      client_id: clientId,
      consent: { ad_user_data: 'GRANTED', ad_personalization: 'GRANTED' },
      user_data: { sha256_email_address: [EMAIL_SHA256] },
    });
    expect(ga.events).toHaveLength(1);
    expect(ga.events![0]).toMatchObject({
      name: 'add_to_cart',
      params: {
        session_id: session.session_id,
        currency: 'EUR',
        value: 19.9,
        page_location: PAGE,
        items: [{ item_id: 'SKU-1', item_name: 'Tee', price: 19.9, quantity: 1 }],
      },
    });
    expect(gaHit!.raw).not.toContain(EMAIL);

    const metaEvents = await waitFor('one more Meta event', () => stack.meta.accepted().length === metaBefore + 1 && stack.meta.accepted().slice(metaBefore));
    expect(metaEvents[0]).toMatchObject({
      event_name: 'AddToCart',
      event_id: grantedId,
      action_source: 'website',
      event_source_url: PAGE,
      user_data: { em: [EMAIL_SHA256], fbp, client_ip_address: CLIENT_IP, client_user_agent: UA },
      custom_data: { value: 19.9, currency: 'EUR', contents: [{ id: 'SKU-1', quantity: 1, item_price: 19.9 }] },
    });

    const byDest = await deliveries(stack, grantedId, destinations);
    expect(Object.values(byDest).map((d) => d.status)).toEqual(Array(destinations).fill('delivered'));
    // The denied event never left: both fakes saw the granted event only.
    expect(stack.meta.accepted().map((e) => e.event_id)).not.toContain(deniedId);
    expect(stack.ga4.collected()).toHaveLength(gaBefore + 1);
  });

  it('a tampered receipt is ignored: the event is treated as having no consent', async () => {
    const denied = Object.fromEntries(PURPOSES.map((p) => [p, 'denied']));
    const res = await postJson(stack, '/v1/consent', { consent: denied }, VISITOR);
    const receipt = setCookies(res).get('tr_consent')!.value;
    const forged = forge(receipt, (claims) => {
      claims.state = Object.fromEntries(PURPOSES.map((p) => [p, 'granted']));
    });
    expect(forged).not.toBe(receipt);
    const sent = await postJson(stack, '/v1/events', addToCart(forgedId), { ...VISITOR, cookie: `tr_consent=${forged}` });
    expect(sent.status).toBe(202);
    const cookies = setCookies(sent);
    for (const name of IDENTITY_COOKIES) expect(cookies.has(name)).toBe(false);
    const byDest = await deliveries(stack, forgedId, destinations);
    expect(byDest.ga4!.status).toBe('dropped');
    expect(byDest.meta!.status).toBe('dropped');
    expect(byDest.ga4!.reasons).toContain('consent.purpose_denied:analytics_storage');
  });

  it('POST /v1/explain says per destination drop (no consent) or send (with the receipt), in words', async () => {
    const explain = async (headers: Record<string, string>) => {
      const res = await postJson(stack, '/v1/explain', { event: addToCart('e2e-explain'), headers: { 'cf-ipcountry': 'DE', ...headers } }, { authorization: `Bearer ${stack.token}` });
      expect(res.status).toBe(200);
      const body = (await res.json()) as {
        explanations: { notes: Words[]; destinations: { destination_id: string; action: string; reasons: Words[] }[] }[];
      };
      const [explanation] = body.explanations;
      // Every reason of every stage, on every destination, in words.
      for (const r of [...explanation!.notes, ...explanation!.destinations.flatMap((d) => d.reasons)]) {
        expect(r.explanation, r.code).not.toMatch(/^Unrecognised/);
        expect(r.explanation).not.toBe(r.code);
      }
      return Object.fromEntries(explanation!.destinations.map((d) => [d.destination_id, d]));
    };
    const without = await explain({});
    expect(without.ga4!.action).toBe('drop');
    expect(without.meta!.action).toBe('drop');
    for (const d of [without.ga4!, without.meta!]) {
      expect(d.reasons.length).toBeGreaterThan(0);
      for (const r of d.reasons) {
        expect(r.explanation).not.toBe(r.code);
        expect(r.explanation).toMatch(/^[A-Z].* .*\.$/);
      }
    }
    expect(without.ga4!.reasons.map((r) => r.code)).toContain('consent.purpose_denied:analytics_storage');

    const withReceipt = await explain({ cookie: cookieHeader(consentCookies) });
    expect(withReceipt.ga4!.action).toBe('send');
    expect(withReceipt.meta!.action).toBe('send');
    expect(withReceipt.ga4!.reasons.map((r) => r.code)).not.toContain('consent.purpose_denied:analytics_storage');
    expect(withReceipt.meta!.reasons.map((r) => r.code)).toContain('privacy.user_data_hashed');
    // Explain stores nothing: no record (written before any answer), hence nothing to deliver.
    expect(stack.query('SELECT event_id FROM records WHERE event_id = ?', 'e2e-explain')).toEqual([]);
    expect(stack.query('SELECT event_id FROM events WHERE event_id = ?', 'e2e-explain')).toEqual([]);
  });

  it('a batch from a new visitor in an opt-out region shares one client id, session and _fbp (the ones the response sets)', async () => {
    const ids = ['e2e-batch-1', 'e2e-batch-2', 'e2e-batch-3'];
    const gaBefore = stack.ga4.collected().length;
    const metaBefore = stack.meta.accepted().length;
    const res = await postJson(stack, '/v1/events', { events: ids.map((id) => addToCart(id)) }, { ...VISITOR, 'cf-ipcountry': 'US' });
    expect(res.status).toBe(202);
    const cookies = setCookies(res);
    const clientId = cookies.get('_ga')!.value.split('.').slice(2).join('.');
    const session = parseSessionCookie(cookies.get('_tr_s')!.value)!;
    const metaEvents = await waitFor(`${ids.length} Meta events`, () => stack.meta.accepted().length >= metaBefore + ids.length && stack.meta.accepted().slice(metaBefore));
    expect(metaEvents.map((e) => e.event_id)).toEqual(ids);
    for (const e of metaEvents) expect((e.user_data as { fbp?: string }).fbp).toBe(cookies.get('_fbp')!.value);
    const requests = await waitFor('the GA4 request', () => stack.ga4.collected().length > gaBefore && stack.ga4.collected().slice(gaBefore));
    const gaEvents = requests.flatMap((r) => r.body!.events!.map((e) => ({ client_id: r.body!.client_id, session_id: e.params!.session_id })));
    expect(gaEvents).toEqual(ids.map(() => ({ client_id: clientId, session_id: session.session_id })));
  });
});
