/**
 * Issue 12 "done when", over the real process: what `/v1/explain` shows for an event is exactly what
 * the vendor received for it (one `decide()`); after a full flow the store's files hold no clear
 * email, phone or name, and IP and User-Agent are nulled once every destination settled.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, startStack, type Stack } from './stack.js';
import { waitFor } from '../helpers/deadline.js';

/** A US visitor (opt-out region) with Meta and GA4 cookies, so nothing is minted at random. */
const HEADERS = {
  'cf-ipcountry': 'US',
  'x-forwarded-for': '198.51.100.77',
  'user-agent': 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/136.0.0.0 Safari/537.36',
  cookie: '_ga=GA1.1.1111111111.1700000000; _fbp=fb.1.1700000000000.1234567890',
};

const PII = { email: 'Ada.Lovelace@Example.com', phone: '+1 (650) 555-1234', first_name: 'Augusta', last_name: 'Byronson' };

function purchase(eventId: string, time: number) {
  return {
    name: 'purchase',
    event_id: eventId,
    time,
    params: { currency: 'EUR', value: 49.5, transaction_id: `T-${eventId}` },
    items: undefined,
    user: { user_id: 'crm-9001', ...PII },
    client: { client_id: '1111111111.1700000000', session_id: '1700000100' },
    page: { url: 'https://shop.example/checkout/done?utm_source=news', title: 'Thanks' },
  };
}

describe('one record, one decide() (issue 12)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("/v1/explain's payload for an event equals what each vendor fake received for it", async () => {
    const time = Date.now() - 60_000;
    const event = purchase('explain-equals-sent', time);
    const res = await postJson(stack, '/v1/events', event, HEADERS);
    expect(res.status).toBe(202);
    const meta = await waitFor('meta received the event', () =>
      stack.meta.received.flatMap((r) => (r.body?.data ?? []) as { event_id?: string }[]).find((e) => e.event_id === 'explain-equals-sent'),
    );
    const ga4 = await waitFor('ga4 received the event', () =>
      stack.ga4.received.find((r) => (r.body?.events ?? []).some((e: { params?: Record<string, unknown> }) => e.params?.transaction_id === 'T-explain-equals-sent')),
    );

    const explained = await postJson(stack, '/v1/explain', { event, headers: HEADERS }, { authorization: `Bearer ${stack.token}` });
    expect(explained.status).toBe(200);
    const { explanations } = (await explained.json()) as { explanations: { destinations: { destination_id: string; action: string; payload: unknown }[] }[] };
    const byId = Object.fromEntries(explanations[0]!.destinations.map((d) => [d.destination_id, d]));
    expect(byId.meta!.action).toBe('send');
    expect(byId.meta!.payload).toEqual(meta);
    const { event: ga4Event, ...request } = byId.ga4!.payload as { event: unknown };
    expect({ ...request, events: [ga4Event] }).toEqual(ga4.body);
  });

  it('no clear email, phone or name in any file of the store; IP and User-Agent nulled once every destination settled', async () => {
    const ids = ['pii-1', 'pii-2', 'pii-3'];
    const res = await postJson(stack, '/v1/events', { events: ids.map((id) => purchase(id, Date.now())) }, HEADERS);
    expect(res.status).toBe(202);
    await waitFor('every destination settled the events', () => {
      const rows = stack.query<{ n: number }>(
        `SELECT COUNT(*) AS n FROM delivery_log WHERE event_id IN (${ids.map(() => '?').join(', ')}) AND status = 'delivered'`,
        ...ids,
      );
      return rows[0]!.n === ids.length * 3 ? true : undefined;
    });
    const net = await waitFor('IP and User-Agent nulled', () => {
      const rows = stack.query<{ ip: string | null; user_agent: string | null }>(
        `SELECT ip, user_agent FROM records WHERE event_id IN (${ids.map(() => '?').join(', ')})`,
        ...ids,
      );
      return rows.length === ids.length && rows.every((r) => r.ip === null && r.user_agent === null) ? rows : undefined;
    });
    expect(net).toHaveLength(3);

    // The store is two files (tagrelay.db and its intake file tagrelay-intake.db), each with a WAL.
    const files = readdirSync(stack.dir).filter((f) => f.startsWith('tagrelay'));
    expect(files).toEqual(expect.arrayContaining(['tagrelay.db', 'tagrelay.db-wal', 'tagrelay-intake.db', 'tagrelay-intake.db-wal']));
    const needles = [PII.email, PII.email.toLowerCase(), '6505551234', PII.first_name, PII.first_name.toLowerCase(), PII.last_name, PII.last_name.toLowerCase()];
    for (const f of files) {
      const bytes = readFileSync(join(stack.dir, f)).toString('latin1');
      for (const needle of needles) expect(bytes.includes(needle), `${f} holds ${needle}`).toBe(false);
    }
    // The hashed forms are there: the check above can see the records.
    const intake = files.filter((f) => f.startsWith('tagrelay-intake.db')).map((f) => readFileSync(join(stack.dir, f)).toString('latin1')).join('');
    expect(intake.includes('pii-1')).toBe(true);
  });
});
