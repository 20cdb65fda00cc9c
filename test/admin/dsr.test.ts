import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, createHmac } from 'node:crypto';
import { hsToken } from '../helpers/tokens.js';
import { GRANTED, SALT, startDsrServer } from './dsr-server.js';

const hmac = (v: string) => createHmac('sha256', SALT).update(v).digest('hex');
const sha = (v: string) => createHash('sha256').update(v).digest('hex');

/** The people of this suite. Eve is the bystander nothing may touch. */
const ALICE = { user_id: 'alice-1', phone_client: 'c-alice-phone', laptop_client: 'c-alice-laptop', email: 'Alice.Example@Mail.com' };
const BOB = { user_id: 'bob-2', client: 'c-bob', phone: '+1 (650) 555-1212' };
const CAROL = { client: 'c-carol', email: 'carol@example.org' };
const DAVE = { client: 'c-dave' };
const EVE = { user_id: 'eve-5', client: 'c-eve', email: 'eve@example.net', phone: '+44 20 7946 0958' };

type Srv = Awaited<ReturnType<typeof startDsrServer>>;
let srv: Srv;

const ev = (event_id: string, name: string, client_id: string, user: Record<string, string> = {}, params: Record<string, unknown> = {}) => ({
  event_id,
  name,
  client: { client_id },
  user,
  params,
  consent: GRANTED,
});

async function count(table: string, where = '1 = 1', params: (string | number)[] = []): Promise<number> {
  return (await srv.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`, params))!.n;
}

const eventIds = async () => (await srv.db.all<{ event_id: string }>('SELECT event_id FROM events ORDER BY event_id')).map((r) => r.event_id);
const pendingIds = async (table: 'records' | 'delivery_retry' | 'dead_letter') =>
  [...new Set((await srv.db.all<{ event_id: string }>(`SELECT event_id FROM ${table}`)).map((r) => r.event_id))].sort();
/** Records a destination has not settled yet (no final decision record there): its pending items. */
const unsettledAt = async (destination: string) =>
  (
    await srv.db.all<{ event_id: string }>(
      "SELECT event_id FROM records r WHERE NOT EXISTS (SELECT 1 FROM delivery_log d WHERE d.event_id = r.event_id AND d.destination_id = ? AND d.status <> 'retrying') ORDER BY event_id",
      [destination],
    )
  ).map((r) => r.event_id);
/** The clear identifiers of the suite: none may be stored anywhere but as a hash or pseudonym. */
const CLEAR = [ALICE.email, ALICE.email.toLowerCase(), BOB.phone, '6505551212', CAROL.email, EVE.email, EVE.phone, '2079460958'];

beforeAll(async () => {
  srv = await startDsrServer();
  const send = async (events: unknown[]) => expect((await srv.post('/v1/events', { events })).status).toBe(202);
  // Alice: anonymous on her laptop, then signed in on phone and laptop (two identity links).
  await send([ev('a-1', 'page_view', ALICE.laptop_client)]);
  await send([ev('a-2', 'login', ALICE.phone_client, { user_id: ALICE.user_id, email: ALICE.email })]);
  await send([ev('a-3', 'purchase', ALICE.laptop_client, { user_id: ALICE.user_id }, { value: 12, currency: 'EUR' })]);
  await send([ev('b-1', 'sign_up', BOB.client, { user_id: BOB.user_id, phone: BOB.phone })]);
  await send([ev('c-1', 'generate_lead', CAROL.client, { email: CAROL.email })]);
  await send([ev('c-2', 'page_view', CAROL.client)]);
  await send([ev('d-1', 'page_view', DAVE.client), ev('d-2', 'scroll', DAVE.client)]);
  await send([ev('e-1', 'login', EVE.client, { user_id: EVE.user_id, email: EVE.email, phone: EVE.phone }), ev('e-2', 'page_view', EVE.client)]);
  for (const client_id of [ALICE.phone_client, ALICE.laptop_client, DAVE.client, EVE.client]) {
    expect((await srv.post('/v1/consent', { consent: { analytics_storage: 'granted', ad_storage: 'granted' }, client_id })).status).toBe(200);
  }
  await srv.settle();
});
afterAll(async () => srv?.close());

describe('the data-subject routes authenticate and authorize', () => {
  const routes: ['GET' | 'POST', string, unknown?][] = [
    ['POST', '/erasure', { user_id: 'nobody' }],
    ['GET', '/export?user_id=nobody'],
    ['GET', '/consent?client_id=nobody'],
  ];

  it.each(routes)('%s %s: 401 without a token, with an expired, wrong-audience or wrongly signed one', async (method, path, body) => {
    const bad = [
      undefined,
      await hsToken({ scope: 'dsr:read dsr:write' }, { exp: Math.floor(Date.now() / 1000) - 3600 }),
      await hsToken({ scope: 'dsr:read dsr:write' }, { aud: 'someone-else' }),
      await hsToken({ scope: 'dsr:read dsr:write' }, { secret: 'another-secret-that-is-32-bytes-long!!' }),
    ];
    for (const token of bad) {
      const res = await fetch(`${srv.base}/admin/v1${path}`, {
        method,
        headers: token ? { authorization: `Bearer ${token}` } : {},
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('ERR_UNAUTHORIZED');
    }
  });

  it('403 with a valid token that lacks the scope; erasure needs dsr:write, export and consent dsr:read', async () => {
    expect((await srv.admin('POST', '/erasure', 'dsr:read', { user_id: 'nobody' })).status).toBe(403);
    expect((await srv.admin('GET', '/export?user_id=nobody', 'dsr:write')).status).toBe(403);
    expect((await srv.admin('GET', '/consent?client_id=nobody', 'dlq:read')).status).toBe(403);
    expect((await srv.admin('GET', '/export?user_id=nobody', 'dsr:read')).status).toBe(200);
  });
});

describe('erasure requests are validated without echoing the identifier', () => {
  it.each([
    [{}, 'user_id|client_id|email|phone'],
    [{ user_id: 'u-1', email: 'someone@example.com' }, 'email'],
    [{ email: 'not-an-address' }, 'email'],
    [{ phone: 'call me maybe' }, 'phone'],
    [{ user_id: '' }, 'user_id'],
    [{ user_id: 42 }, 'user_id'],
    [{ client_id: 'c-1', country: 'US' }, 'country'],
    [{ user_id: 'u-1', name: 'Jane Roe' }, ''],
  ])('%j → 400 naming %s', async (body, field) => {
    const res = await srv.admin('POST', '/erasure', 'dsr:write', body);
    expect(res.status).toBe(400);
    const text = await res.text();
    const err = (JSON.parse(text) as { error: { code: string; field?: string } }).error;
    expect(err.code).toBe('ERR_INVALID_BODY');
    if (field) expect(err.field).toBe(field);
    for (const v of ['someone@example.com', 'not-an-address', 'call me maybe', 'Jane Roe']) expect(text).not.toContain(v);
  });

  it('a body that is not JSON is a 400', async () => {
    const res = await srv.admin('POST', '/erasure', 'dsr:write', '{user_id');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('ERR_MALFORMED_JSON');
  });
});

describe('export, consent history and erasure over real HTTP', () => {
  it('stored everyone as expected (the fixture is real)', async () => {
    expect(await eventIds()).toEqual(['a-1', 'a-2', 'a-3', 'b-1', 'c-1', 'c-2', 'd-1', 'd-2', 'e-1', 'e-2']);
    expect(await count('identity_links')).toBe(4);
    // One durable record per event. GA4 keeps answering 503: its records wait for a retry (pending).
    // Meta refuses: its items are dead letters. The warehouse settled everything.
    const all = ['a-1', 'a-2', 'a-3', 'b-1', 'c-1', 'c-2', 'd-1', 'd-2', 'e-1', 'e-2'];
    expect(await pendingIds('records')).toEqual(all);
    expect(await count('delivery_retry', "destination_id = 'ga4'")).toBe(10);
    expect(await unsettledAt('ga4')).toEqual(all);
    expect(await unsettledAt('lake')).toEqual([]);
    expect(await pendingIds('dead_letter')).toEqual(all);
    expect(await count('dead_letter', "destination_id = 'meta'")).toBe(10);
    // No clear email or phone at rest: records and dead letters hold hashes and pseudonyms.
    const stored = JSON.stringify([await srv.db.all('SELECT * FROM records'), await srv.db.all('SELECT * FROM dead_letter'), await srv.db.all('SELECT * FROM events')]);
    for (const v of CLEAR) expect(stored).not.toContain(v);
    expect(await count('consent_audit')).toBe(4);
    // The warehouse holds pseudonyms only.
    const row = await srv.db.get<{ user_id: string; client_id: string; data: string }>("SELECT * FROM events WHERE event_id = 'a-2'");
    expect(row).toMatchObject({ user_id: hmac(ALICE.user_id), client_id: hmac(ALICE.phone_client) });
    expect(JSON.parse(row!.data).hashed_user.em).toBe(hmac(sha(ALICE.email.toLowerCase())));
  });

  it('export by user id returns her events on both devices, her consent, links and pending items — nobody else’s', async () => {
    const res = await srv.admin('GET', `/export?user_id=${ALICE.user_id}`, 'dsr:read');
    expect(res.status).toBe(200);
    const text = await res.text();
    const body = JSON.parse(text) as {
      request_id: string;
      subject: unknown;
      pseudonyms: { user_keys: string[]; client_keys: string[] };
      events: { event_id: string; data: { params: Record<string, unknown> } }[];
      consent: { state: unknown; tombstone: unknown }[];
      identity_links: { user_key: string }[];
      deliveries: { event_id: string; destination_id: string }[];
      records: { event_id: string; client_key: string; user_key: string | null; data: { client: { client_id: string }; identity: Record<string, unknown> } }[];
      dead_letter: { event_id: string; payload: unknown }[];
    };
    expect(body.request_id).toMatch(/^dsr_[0-9a-f]{24}$/);
    expect(body.subject).toEqual({ kind: 'user_id' });
    expect(body.pseudonyms.user_keys).toEqual([hmac(ALICE.user_id)]);
    expect(body.pseudonyms.client_keys.sort()).toEqual([hmac(ALICE.phone_client), hmac(ALICE.laptop_client)].sort());
    expect(body.events.map((e) => e.event_id)).toEqual(['a-1', 'a-2', 'a-3']);
    expect(body.events[2]!.data.params).toMatchObject({ value: 12, currency: 'EUR' });
    expect(body.consent).toHaveLength(2);
    expect(body.consent[0]).toMatchObject({ state: { analytics_storage: 'granted', ad_storage: 'granted' }, tombstone: null });
    expect(body.identity_links.map((l) => l.user_key)).toEqual([hmac(ALICE.user_id), hmac(ALICE.user_id)]);
    // Her pending items: the records of her events, with the ids and hashes delivery still sends.
    expect(body.records.map((r) => r.event_id)).toEqual(['a-1', 'a-2', 'a-3']);
    expect(body.records.find((r) => r.event_id === 'a-2')).toMatchObject({
      client_key: hmac(ALICE.phone_client),
      user_key: hmac(ALICE.user_id),
      data: { client: { client_id: ALICE.phone_client }, identity: { user_id: ALICE.user_id, hashed: { warehouse: { em: hmac(sha(ALICE.email.toLowerCase())) } } } },
    });
    expect(body.dead_letter.map((d) => d.event_id).sort()).toEqual(['a-1', 'a-2', 'a-3']);
    expect(text).not.toContain(ALICE.email.toLowerCase());
    expect(new Set(body.deliveries.map((d) => d.event_id))).toEqual(new Set(['a-1', 'a-2', 'a-3']));
    expect(text).not.toMatch(/"[bcde]-\d"/);
    // The export and its counts are on record; the identifier is not.
    const logged = await srv.db.get<{ type: string; subject_kind: string; actor: string; counts: string }>('SELECT * FROM dsr_requests WHERE id = ?', [body.request_id]);
    expect(logged).toMatchObject({ type: 'export', subject_kind: 'user_id', actor: 'dpo' });
    expect(JSON.parse(logged!.counts)).toMatchObject({ events: 3, records: 3, dead_letter: 3, consent: 2, identity_links: 2 });
    expect(JSON.stringify(logged)).not.toContain(ALICE.user_id);
  });

  it('export by email finds the events carrying it (pre-hashed or clear, any case)', async () => {
    for (const email of [CAROL.email.toUpperCase(), sha(CAROL.email)]) {
      const body = (await (await srv.admin('GET', `/export?email=${encodeURIComponent(email)}`, 'dsr:read')).json()) as { events: { event_id: string }[] };
      // c-2 carries no email but the same client id as c-1: the same device, the same person.
      expect(body.events.map((e) => e.event_id)).toEqual(['c-1', 'c-2']);
    }
  });

  it('consent history by client id (pseudonymized lookup)', async () => {
    const res = await srv.admin('GET', `/consent?client_id=${EVE.client}`, 'dsr:read');
    const body = (await res.json()) as { request_id: string; records: { state: unknown; region: string; tombstone: unknown }[] };
    expect(body.records).toHaveLength(1);
    expect(body.records[0]).toMatchObject({ state: { analytics_storage: 'granted', ad_storage: 'granted' }, tombstone: null });
    expect(((await (await srv.admin('GET', '/consent?client_id=c-unknown', 'dsr:read')).json()) as { records: unknown[] }).records).toEqual([]);
    expect((await srv.admin('GET', '/consent', 'dsr:read')).status).toBe(400);
  });

  it('erasure by user id removes her events on every linked device, links, pending items; tombstones her consent', async () => {
    const res = await srv.admin('POST', '/erasure', 'dsr:write', { user_id: ALICE.user_id });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain(ALICE.user_id);
    const receipt = JSON.parse(text) as { request_id: string; counts: Record<string, number> };
    // delivery_log: one row per event and destination (lake, ga4, meta); delivery_retry: GA4's.
    expect(receipt.counts).toEqual({ events: 3, records: 3, delivery_retry: 3, dead_letter: 3, delivery_log: 9, identity_links: 2, trigger_timers: 0, consent_audit_tombstoned: 2 });
    expect(await eventIds()).toEqual(['b-1', 'c-1', 'c-2', 'd-1', 'd-2', 'e-1', 'e-2']);
    // Her pending deliveries end here: no record, no retry, no dead letter left.
    expect(await pendingIds('records')).toEqual(['b-1', 'c-1', 'c-2', 'd-1', 'd-2', 'e-1', 'e-2']);
    expect(await pendingIds('delivery_retry')).toEqual(['b-1', 'c-1', 'c-2', 'd-1', 'd-2', 'e-1', 'e-2']);
    expect(await pendingIds('dead_letter')).toEqual(['b-1', 'c-1', 'c-2', 'd-1', 'd-2', 'e-1', 'e-2']);
    expect(await count('delivery_log', "event_id LIKE 'a-%'")).toBe(0);
    expect(await count('identity_links')).toBe(2);
    const audit = await srv.db.all<{ client_id: string; state: string; tombstone: string | null }>('SELECT client_id, state, tombstone FROM consent_audit ORDER BY id');
    expect(audit.filter((r) => r.tombstone === receipt.request_id).map((r) => r.client_id).sort()).toEqual([hmac(ALICE.phone_client), hmac(ALICE.laptop_client)].sort());
    expect(audit.filter((r) => r.tombstone === receipt.request_id).every((r) => r.state === '{}')).toBe(true);
    expect(audit.filter((r) => r.tombstone === null)).toHaveLength(2);
    const logged = await srv.db.get<{ type: string; subject_kind: string; counts: string }>('SELECT * FROM dsr_requests WHERE id = ?', [receipt.request_id]);
    expect(logged).toMatchObject({ type: 'erasure', subject_kind: 'user_id' });
    expect(JSON.parse(logged!.counts)).toEqual(receipt.counts);
    // Erasing again finds nothing more, and the tombstones are not stamped twice.
    const again = (await (await srv.admin('POST', '/erasure', 'dsr:write', { user_id: ALICE.user_id })).json()) as { counts: Record<string, number> };
    expect(Object.values(again.counts).every((n) => n === 0)).toBe(true);
  });

  it('erasure by phone (national format + country) finds the hashed phone and the user behind it', async () => {
    const res = await srv.admin('POST', '/erasure', 'dsr:write', { phone: '650-555-1212', country: 'us' });
    const receipt = (await res.json()) as { counts: Record<string, number> };
    expect(receipt.counts).toMatchObject({ events: 1, records: 1, delivery_retry: 1, dead_letter: 1, identity_links: 1, consent_audit_tombstoned: 0 });
    expect(await eventIds()).toEqual(['c-1', 'c-2', 'd-1', 'd-2', 'e-1', 'e-2']);
  });

  it('erasure by email removes the email’s events and the rest of that device’s anonymous events', async () => {
    const receipt = (await (await srv.admin('POST', '/erasure', 'dsr:write', { email: ` ${CAROL.email.toUpperCase()} ` })).json()) as { counts: Record<string, number> };
    expect(receipt.counts).toMatchObject({ events: 2, records: 2, delivery_retry: 2, dead_letter: 2 });
    expect(await eventIds()).toEqual(['d-1', 'd-2', 'e-1', 'e-2']);
  });

  it('erasure by client id removes that device’s events and tombstones its consent', async () => {
    const receipt = (await (await srv.admin('POST', '/erasure', 'dsr:write', { client_id: DAVE.client })).json()) as { counts: Record<string, number> };
    expect(receipt.counts).toMatchObject({ events: 2, records: 2, delivery_retry: 2, dead_letter: 2, consent_audit_tombstoned: 1 });
    expect(await eventIds()).toEqual(['e-1', 'e-2']);
  });

  it('an email held only as a hash in a record and a dead letter (warehouse copy anonymized) is still found and erased', async () => {
    const frank = { client_id: 'c-frank', email: 'frank@example.com' };
    const consent = { analytics_storage: 'denied', ad_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted' };
    const res = await srv.post('/v1/events', { name: 'generate_lead', event_id: 'f-1', client: { client_id: frank.client_id }, user: { email: frank.email }, consent });
    expect(res.status).toBe(202);
    await srv.settle();
    const stored = await srv.db.get<{ data: string; user_id: string | null }>("SELECT data, user_id FROM events WHERE event_id = 'f-1'");
    expect(JSON.parse(stored!.data).hashed_user).toBeUndefined();
    // Held as Meta's SHA-256 in the dead letter and as its pseudonym in the record; never in the clear.
    const dead = await srv.db.get<{ payload: string }>("SELECT payload FROM dead_letter WHERE event_id = 'f-1' AND destination_id = 'meta'");
    expect(dead!.payload).toContain(sha(frank.email));
    const record = await srv.db.get<{ data: string }>("SELECT data FROM records WHERE event_id = 'f-1'");
    // Only Meta may receive it: the record keeps Meta's hash, not the warehouse pseudonym nobody may receive.
    expect(JSON.parse(record!.data).identity.hashed.meta.em).toBe(sha(frank.email));
    expect(JSON.parse(record!.data).identity.hashed.warehouse).toBeUndefined();
    for (const text of [dead!.payload, record!.data, stored!.data]) expect(text).not.toContain(frank.email);

    const receipt = (await (await srv.admin('POST', '/erasure', 'dsr:write', { email: frank.email })).json()) as { counts: Record<string, number> };
    expect(receipt.counts).toMatchObject({ events: 1, records: 1, dead_letter: 1 });
    for (const table of ['events', 'records', 'delivery_retry', 'dead_letter', 'delivery_log']) expect(await count(table, "event_id = 'f-1'")).toBe(0);
  });

  it('left the bystander untouched everywhere', async () => {
    expect(await pendingIds('records')).toEqual(['e-1', 'e-2']);
    expect(await pendingIds('delivery_retry')).toEqual(['e-1', 'e-2']);
    expect(await unsettledAt('ga4')).toEqual(['e-1', 'e-2']);
    expect(await pendingIds('dead_letter')).toEqual(['e-1', 'e-2']);
    expect(await count('delivery_log', "event_id LIKE 'e-%'")).toBe(6);
    expect(await count('identity_links', 'user_key = ?', [hmac(EVE.user_id)])).toBe(1);
    expect(await count('consent_audit', 'client_id = ? AND tombstone IS NULL', [hmac(EVE.client)])).toBe(1);
    expect(await count('dsr_requests', "type = 'erasure'")).toBe(6);
  });
});
