/**
 * The console in Chromium against the real server: real traffic over HTTP, then every view is opened and
 * what it shows is checked against the store (and against the traffic sent). Screenshots go to
 * .tmp/screenshots/ (the ones in docs/img/ are copies of these).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStoreFile } from '../helpers/store-file.js';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { eventually, launchChromium, startTagrelay, VISITOR_UA } from './harness.js';
import { startGa4Fake, type Ga4Fake } from '../fakes/ga4-fake.js';
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/webhook-receiver.js';
import { runCli } from '../helpers/process.js';
import { ADMIN_SECRET, hsToken } from '../helpers/tokens.js';

const SHOTS = join(process.cwd(), '.tmp/screenshots');
const HOOK_SECRET = 'whsec-console-browser-test-0123456789abcdef';
const GA_SECRET = 'console-ga4-api-secret';
const BOT_UA = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';

describe('the console in Chromium against a running proxy with real traffic', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tagrelay-console-'));
  const dbFile = join(dir, 'tagrelay.db');
  let browser: Browser;
  let ga: Ga4Fake;
  let hook: WebhookReceiver;
  let refuse = true;
  let tagrelay: Awaited<ReturnType<typeof startTagrelay>>;
  let proxy = '';
  let context: BrowserContext;
  let page: Page;
  let token = '';

  /** One value from the store (read-only, next to the running server). */
  const q = <T = number>(sql: string, ...params: unknown[]): T => {
    const db = openStoreFile(dbFile, { readonly: true, fileMustExist: true });
    try {
      const row = db.prepare(sql).get(...params) as Record<string, unknown> | undefined;
      return (row ? Object.values(row)[0] : undefined) as T;
    } finally {
      db.close();
    }
  };

  const send = async (body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${proxy}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': VISITOR_UA, 'cf-ipcountry': 'DE', ...headers },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(202);
    return (await res.json()) as { accepted: number; duplicates: number; rejected: unknown[] };
  };

  const shot = (p: Page, name: string, fullPage = true) => p.screenshot({ path: join(SHOTS, `console-${name}.png`), fullPage });
  const text = async (p: Page, selector: string) => (await p.locator(selector).first().textContent())?.trim();
  const attr = async (p: Page, selector: string, name: string) => p.locator(selector).first().getAttribute(name);

  async function login(ctx: BrowserContext, token: string, path = '/admin/ui/overview'): Promise<Page> {
    const p = await ctx.newPage();
    await p.goto(`${proxy}${path}`);
    expect(new URL(p.url()).pathname).toBe('/admin/ui/login');
    await p.fill('#token', token);
    await Promise.all([p.waitForLoadState('load'), p.click('button[type=submit]')]);
    await p.waitForURL((u) => !u.pathname.endsWith('/login'), { timeout: 5000 }).catch(async () => {
      throw new Error(`login failed: ${p.url()} ${(await p.content()).slice(0, 1500)}`);
    });
    return p;
  }

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    browser = await launchChromium();
    ga = await startGa4Fake({ apiSecret: GA_SECRET });
    hook = await startWebhookReceiver({ secret: HOOK_SECRET, refuse: (e) => refuse && e.name === 'refund' });
    tagrelay = await startTagrelay(
      [
        'dev_mode: false',
        'admin:',
        '  jwt:',
        `    secret: "${ADMIN_SECRET}"`,
        'consent:',
        '  regions: { EEA: opt_in, US: opt_out, default: opt_in }',
        'privacy:',
        '  pseudonymization: { salt: "console-test-salt-0123456789", salt_id: "t1" }',
        'delivery: { poll_interval: 50ms, backoff_base: 20ms, backoff_max: 100ms }',
        'alarms: { interval: 1s, destination_failing: { min_outcomes: 5 } }',
        'destinations:',
        '  - { id: lake, type: sqlite }',
        `  - { id: ga, type: ga4, measurement_id: G-CONSOLE1, api_secret: "${GA_SECRET}", endpoint: "${ga.url}" }`,
        `  - { id: hook, type: webhook, url: "${hook.url}${hook.path}", secret: "${HOOK_SECRET}", batch: { max_events: 1 } }`,
        '',
      ].join('\n'),
      dir,
    );
    proxy = `http://127.0.0.1:${tagrelay.port}`;

    // The traffic: 18 events accepted, 2 duplicates, 3 bots, 2 rejected.
    const granted = { consent: { analytics_storage: 'granted', ad_storage: 'granted', ad_user_data: 'granted' } };
    await send({ context: granted, events: [1, 2, 3, 4].map((i) => ({ name: i === 4 ? 'purchase' : 'page_view', event_id: `de-granted-${i}`, params: i === 4 ? { value: 10, currency: 'EUR' } : {} })) });
    await send({ events: [1, 2].map((i) => ({ name: 'page_view', event_id: `de-none-${i}` })) });
    await send({ events: [1, 2].map((i) => ({ name: 'page_view', event_id: `us-${i}` })) }, { 'cf-ipcountry': 'US' });
    await send({ context: { ...granted, client: { client_id: 'cid.42' } }, events: [1, 2].map((i) => ({ name: 'page_view', event_id: `cid-${i}` })) });
    await send({ context: granted, events: [{ name: 'refund', event_id: 'refund-1' }] });
    // Two shoppers from a newsletter: one buys, one leaves a cart.
    const shop = (client: string) => ({ ...granted, client: { client_id: client, session_id: `s-${client}` }, page: { url: 'https://shop.example/p/1?utm_source=newsletter&utm_medium=email&utm_campaign=winter' } });
    const cart = { currency: 'EUR', value: 30, items: [{ item_id: 'SKU1', price: 30, quantity: 1 }] };
    await send({ context: shop('fun.1'), events: ['view_item', 'add_to_cart', 'begin_checkout', 'purchase'].map((name, i) => ({ name, event_id: `fun1-${i}`, time: Date.now() - 60_000 + i * 1000, params: name === 'purchase' ? { ...cart, transaction_id: 'T-1' } : cart })) });
    await send({ context: shop('fun.2'), events: ['view_item', 'add_to_cart'].map((name, i) => ({ name, event_id: `fun2-${i}`, time: Date.now() - 60_000 + i * 1000, params: cart })) });
    expect(await send({ context: granted, events: [{ name: 'page_view', event_id: 'de-granted-1' }, { name: 'page_view', event_id: 'de-granted-2' }] })).toMatchObject({ accepted: 2, duplicates: 2 });
    await send({ events: [1, 2, 3].map((i) => ({ name: 'page_view', event_id: `bot-${i}` })) }, { 'user-agent': BOT_UA });
    const mixed = await send({ context: granted, events: [{ name: 'sign_up', event_id: 'mixed-ok' }, { name: '9bad' }, { params: {} }] });
    expect(mixed.rejected).toHaveLength(2);
    for (const state of [{ analytics_storage: 'granted', ad_storage: 'denied' }, { analytics_storage: 'granted', ad_storage: 'granted' }]) {
      const res = await fetch(`${proxy}/v1/consent`, { method: 'POST', headers: { 'content-type': 'application/json', 'cf-ipcountry': 'DE' }, body: JSON.stringify({ consent: state, client_id: 'cid.42', source: 'banner' }) });
      expect(res.status).toBe(200);
    }
    // Every destination settled every record (3 destinations × 18 records).
    await eventually('delivery settled', () => (q("SELECT COUNT(*) FROM delivery_log WHERE status <> 'retrying'") === 54 ? true : undefined), () => q('SELECT COUNT(*) FROM delivery_log'), 20_000);

    // 1 dead letter in 18 outcomes at `hook`: the destination_failing alarm (dead-letter rate over 5 %) opens
    // once the evaluator rolls the delivery log up (it lags 30 s behind, for writes still committing).
    await eventually('the alarm on hook', () => (q("SELECT COUNT(*) FROM alarms WHERE resolved_at IS NULL AND subject = 'hook'") === 1 ? true : undefined), () => [q('SELECT COUNT(*) FROM alarms'), q('SELECT COUNT(*) FROM alarm_rollup'), tagrelay.log().slice(-1500)], 50_000);

    const cli = await runCli(['admin', 'token', '--scopes', 'debug:read,dsr:read,dsr:write,dlq:read,dlq:write,reports:read', '--ttl', '8h', '--sub', 'dpo@example.com'], {
      TAGRELAY_CONFIG: join(dir, 'tagrelay.yaml'),
    });
    expect(cli.code, cli.err).toBe(0);
    token = cli.out.trim();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await login(context, token);
  }, 150_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    tagrelay?.child.kill('SIGTERM');
    await ga?.close();
    await hook?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('Overview: events per minute, consent outcomes and delivery health match the store', async () => {
    await page.goto(`${proxy}/admin/ui/overview`);
    await shot(page, 'overview');
    const store = {
      accepted: q<number>("SELECT COUNT(*) FROM records WHERE json_extract(data, '$.derived_from') IS NULL"),
      rejected: q<number>("SELECT COALESCE(SUM(count), 0) FROM traffic_counts WHERE outcome = 'rejected'"),
      duplicates: q<number>("SELECT COALESCE(SUM(count), 0) FROM traffic_counts WHERE outcome = 'duplicate'"),
      bots: q<number>("SELECT COALESCE(SUM(count), 0) FROM traffic_counts WHERE outcome = 'bot'"),
    };
    // The store holds exactly the traffic sent …
    expect(store).toEqual({ accepted: 18, rejected: 2, duplicates: 2, bots: 3 });
    // … and the page shows the store.
    for (const [key, value] of Object.entries(store)) expect(await text(page, `[data-stat="${key}"] .value`), key).toBe(String(value));
    const bars = await page.locator('[data-chart="traffic"] rect[data-series="accepted"]').evaluateAll((rs) => rs.reduce((n, r) => n + Number(r.getAttribute('data-value')), 0));
    expect(bars).toBe(18);
    expect(await attr(page, '[data-purpose="analytics_storage"][data-granted]', 'data-granted')).toBe(String(q("SELECT COUNT(*) FROM records WHERE json_extract(data, '$.consent_state.purposes.analytics_storage.value') = 'granted'")));
    expect(await attr(page, '[data-purpose="analytics_storage"][data-granted]', 'data-granted')).toBe('16');
    expect(await attr(page, '[data-purpose="analytics_storage"][data-denied]', 'data-denied')).toBe('2');
    for (const dest of ['lake', 'ga', 'hook']) {
      expect(await attr(page, `[data-dest="${dest}"][data-delivered]`, 'data-delivered'), dest).toBe(String(q("SELECT COUNT(*) FROM delivery_log WHERE destination_id = ? AND status = 'delivered'", dest)));
    }
    expect(await attr(page, '[data-dest="ga"][data-delivered]', 'data-delivered')).toBe('16');
    expect(await attr(page, '[data-dest="hook"][data-dead]', 'data-dead')).toBe('1');
    expect(await page.locator('[data-table="open-alarms"] [data-status="open"]').count()).toBe(q('SELECT COUNT(*) FROM alarms WHERE resolved_at IS NULL'));
    expect(await text(page, '[data-table="open-alarms"] tbody tr')).toContain('hook');
    // On a phone.
    const phone = await context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(`${proxy}/admin/ui/overview`);
    expect(await text(phone, '[data-stat="accepted"] .value')).toBe('18');
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shot(phone, 'overview-phone');
    await phone.close();
  });

  it("Reports & alarms: the report module's numbers as charts, and the alarm list", async () => {
    await page.goto(`${proxy}/admin/ui/reports?since=7d`);
    await shot(page, 'reports');
    const api = async (name: string, query: string) => {
      const res = await fetch(`${proxy}/admin/v1/reports/${name}?since=7d${query}`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      return (await res.json()) as { data: Record<string, any>; coverage: { events: number } };
    };
    const funnel = await api('funnel', '');
    const bars = await page.locator('[data-chart="funnel"] rect').evaluateAll((rs) => rs.map((r) => [r.getAttribute('data-x'), Number(r.getAttribute('data-value'))]));
    expect(bars).toEqual(funnel.data.total.map((s: { name: string; count: number }) => [s.name, s.count]));
    expect(await attr(page, '[data-coverage]', 'data-coverage')).toBe(String(funnel.coverage.events));
    expect(funnel.coverage.events).toBe(q('SELECT COUNT(*) FROM events'));
    const revenue = await api('revenue', '&by=channel');
    expect(revenue.data.total.orders).toBe(2);
    expect(revenue.data.total.revenue).toBe(40);
    expect(await text(page, '[data-stat="orders"] .value')).toBe('2');
    expect(funnel.data.total.map((s: { count: number }) => s.count)).toEqual([2, 2, 1, 1]);
    expect(await text(page, '[data-stat="revenue"] .value')).toBe(String(revenue.data.total.revenue));
    const channels = await page.locator('[data-chart="revenue-by-channel"] rect').evaluateAll((rs) => rs.map((r) => Number(r.getAttribute('data-value'))));
    expect(channels).toEqual(revenue.data.groups.map((g: { revenue: number }) => g.revenue));
    const abandonment = await api('abandonment', '&by=channel');
    expect(await text(page, '[data-stat="carts"] .value')).toBe(String(abandonment.data.total.carts));
    expect(await page.locator('[data-table="alarms"] [data-alarm]').count()).toBe(q('SELECT COUNT(*) FROM alarms'));
  });

  it('Data flow: the record of processing from the live config, with CSV/JSON/Markdown exports', async () => {
    await page.goto(`${proxy}/admin/ui/data-flow`);
    await shot(page, 'data-flow', false);
    const form = (dest: string, consent: string, field: string) => attr(page, `[data-destination="${dest}"] [data-table="fields-${dest}-${consent}"] [data-field="${field}"]`, 'data-form');
    expect(await form('ga', 'consented', 'user.email')).toBe('hashed');
    expect(await form('lake', 'consented', 'user.email')).toBe('pseudonymized');
    expect(await form('lake', 'not_consented', 'request.ip')).toBe('truncated');
    expect(await form('hook', 'consented', 'request.ip')).toBe('dropped');
    expect(await page.locator('[data-destination]').count()).toBe(3);
    const csv = await page.request.get(`${proxy}/admin/ui/data-flow.csv`);
    expect(csv.status()).toBe(200);
    expect(csv.headers()['content-type']).toBe('text/csv; charset=utf-8');
    const lines = (await csv.text()).trim().split('\n');
    expect(lines.filter((l) => l.startsWith('ga,ga4,')).length).toBeGreaterThan(10);
    expect(lines.some((l) => l.startsWith('lake,sqlite,') && l.includes(',consented,send,user.email,contact,pseudonymized,HMAC-SHA-256 (salt t1)'))).toBe(true);
    const json = (await (await page.request.get(`${proxy}/admin/ui/data-flow.json`)).json()) as { salt_id: string; destinations: { id: string }[] };
    expect(json.salt_id).toBe('t1');
    expect(json.destinations.map((d) => d.id)).toEqual(['lake', 'ga', 'hook']);
    const md = await (await page.request.get(`${proxy}/admin/ui/data-flow.md`)).text();
    expect(md).toContain('## ga — Google (Google Analytics 4, Measurement Protocol)');
    expect(md).not.toContain(GA_SECRET);
  });

  it('Consent: policy per region, decisions per purpose and reason, and the receipts of one visitor', async () => {
    await page.goto(`${proxy}/admin/ui/consent`);
    const reasons = await page.locator('[data-table="consent-reasons"] [data-reason]').evaluateAll((els) => els.map((e) => [e.getAttribute('data-reason'), Number(e.getAttribute('data-count'))]));
    const db = openStoreFile(dbFile, { readonly: true });
    const expected = db
      .prepare("SELECT p.key || '|' || json_extract(p.value, '$.value') || '|' || json_extract(p.value, '$.reason') AS k, COUNT(*) AS n FROM records r, json_each(r.data, '$.consent_state.purposes') p GROUP BY k")
      .all() as { k: string; n: number }[];
    db.close();
    expect(Object.fromEntries(reasons)).toEqual(Object.fromEntries(expected.map((e) => [e.k, e.n])));
    expect(Object.fromEntries(reasons)['analytics_storage|denied|consent.region_default_opt_in']).toBe(2);
    await page.fill('input[name=client_id]', 'cid.42');
    await Promise.all([page.waitForURL(/client_id=cid\.42/), page.click('[data-form="lookup"] button')]);
    await shot(page, 'consent');
    expect(await page.locator('[data-table="receipts"] tbody tr').count()).toBe(2);
    expect(await attr(page, '[data-lookup-records]', 'data-lookup-records')).toBe('2');
    expect(q('SELECT COUNT(*) FROM consent_audit')).toBe(2);
    // The audit holds a pseudonym, never the id typed in.
    expect(q("SELECT COUNT(*) FROM consent_audit WHERE client_id = 'cid.42'")).toBe(0);
  });

  it("Delivery: health and outbox, the vendor's answer, the dead-letter browser and replay", async () => {
    await page.goto(`${proxy}/admin/ui/delivery`);
    await shot(page, 'delivery');
    expect(await attr(page, '[data-table="destinations"] [data-dest="hook"][data-delivered]', 'data-delivered')).toBe('17');
    expect(await attr(page, '[data-table="destinations"] [data-dest="lake"][data-pending]', 'data-pending')).toBe(String(q('SELECT COUNT(*) FROM records WHERE seq > (SELECT seq FROM delivery_cursor WHERE destination_id = ?)', 'lake')));
    expect(await page.locator('[data-table="dead-letters"] tbody tr').count()).toBe(q('SELECT COUNT(*) FROM dead_letter'));
    const answer = await text(page, '[data-table="failures"] .answer');
    expect(answer).toContain('event refund-1 refused: unknown product');
    const id = q<number>('SELECT id FROM dead_letter');
    await page.click(`a[href="/admin/ui/delivery/dead-letter/${id}"]`);
    await shot(page, 'dead-letter');
    expect(await text(page, '[data-payload]')).toContain('"refund"');
    // The receiver takes it now; replay from the list.
    refuse = false;
    await page.goto(`${proxy}/admin/ui/delivery`);
    await page.check(`input[name=ids][value="${id}"]`);
    await Promise.all([page.waitForURL(`${proxy}/admin/ui/delivery/replay`), page.click('[data-form="replay"] button[value="ids"]')]);
    expect(await attr(page, '[data-replayed]', 'data-replayed')).toBe('1');
    await eventually('replayed item delivered', () => (q<string>("SELECT status FROM delivery_log WHERE event_id = 'refund-1' AND destination_id = 'hook'") === 'delivered' ? true : undefined));
    expect(q('SELECT COUNT(*) FROM dead_letter')).toBe(0);
    expect(hook.accepted().some((e) => e.name === 'refund')).toBe(true);
  });

  it('Live: a debug session bound to one visitor shows its events as they arrive, and only its events', async () => {
    const live = await context.newPage();
    await live.goto(`${proxy}/admin/ui/live`);
    await live.fill('#live-label', 'test phone');
    await live.click('#live-start');
    await live.waitForSelector('#live-status[data-state="open"]');
    const link = await attr(live, '[data-debug-link]', 'href');
    expect(link).toMatch(new RegExp(`^${proxy}/debug/link\\?token=v1\\.`));
    // The visitor's browser (another context: its own cookies) opens the link, then sends events.
    const visitor = await browser.newContext();
    const phone = await visitor.newPage();
    await phone.goto(link!);
    const sendFrom = (p: Page, id: string) =>
      p.evaluate(async (eventId) => {
        const res = await fetch('/v1/events', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'add_to_cart', event_id: eventId, consent: { analytics_storage: 'granted' }, user: { email: 'live.visitor@example.com' }, params: { value: 5, currency: 'EUR' } }) });
        return res.status;
      }, id);
    expect(await sendFrom(phone, 'live-1')).toBe(202);
    // Someone else, without the debug cookie, at the same time.
    const other = await browser.newContext();
    const stranger = await other.newPage();
    await stranger.goto(`${proxy}/healthz`);
    expect(await sendFrom(stranger, 'not-traced-1')).toBe(202);

    const card = live.locator('[data-event-id="live-1"]');
    await card.locator('[data-answer="ga"][data-outcome="delivered"]').waitFor({ timeout: 15_000 });
    await card.locator('[data-answer="hook"][data-outcome="delivered"]').waitFor({ timeout: 15_000 });
    expect(await card.locator('[data-accept]').getAttribute('data-accept')).toBe('accepted');
    expect(await card.locator('tr[data-purpose="analytics_storage"]').getAttribute('data-value')).toBe('granted');
    expect(await card.locator('tr[data-purpose="ad_storage"]').getAttribute('data-value')).toBe('denied');
    const actions = await card.locator('[data-decision]').evaluateAll((els) => Object.fromEntries(els.map((e) => [e.getAttribute('data-decision'), e.getAttribute('data-action')])));
    // What the stream showed is what the store recorded for the event.
    expect(actions).toEqual({ lake: 'send', ga: 'send', hook: 'send' });
    expect(q("SELECT COUNT(*) FROM delivery_log WHERE event_id = 'live-1' AND status = 'delivered'")).toBe(3);
    const shown = (await card.textContent()) ?? '';
    expect(shown).not.toContain('live.visitor@example.com');
    expect(shown).not.toContain(GA_SECRET);
    await live.waitForTimeout(300);
    expect(await live.locator('[data-event-id="not-traced-1"]').count()).toBe(0);
    await shot(live, 'live');
    await live.click('#live-stop');
    await live.waitForSelector('#live-status[data-state="ended"]');
    await visitor.close();
    await other.close();
    await live.close();
  });

  it('a missing or foreign CSRF token refuses a state-changing action', async () => {
    await page.goto(`${proxy}/admin/ui/delivery`);
    const statuses = await page.evaluate(async () => {
      const post = (body: string) => fetch('/admin/ui/delivery/replay', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body }).then((r) => r.status);
      return [await post('ids=1'), await post('ids=1&_csrf=0000000000000000000000000000000000000000')];
    });
    expect(statuses).toEqual([403, 403]);
  });

  it('no cookie, an expired session and a wrong scope show no data', async () => {
    const anon = await browser.newContext();
    const p = await anon.newPage();
    for (const path of ['overview', 'data-flow', 'consent', 'delivery', 'live']) {
      await p.goto(`${proxy}/admin/ui/${path}`);
      expect(new URL(p.url()).pathname, path).toBe('/admin/ui/login');
      expect(await p.locator('[data-stat], [data-table], [data-destination]').count()).toBe(0);
    }
    await shot(p, 'login');
    await anon.close();

    const narrow = await browser.newContext();
    const reader = await login(narrow, await hsToken({ sub: 'ops', scope: 'debug:read' }));
    expect(await reader.locator('nav a').allTextContents()).toEqual(['Overview', 'Live']);
    const res = await reader.goto(`${proxy}/admin/ui/delivery`);
    expect(res!.status()).toBe(403);
    expect(await attr(reader, '[data-error-code]', 'data-error-code')).toBe('ERR_FORBIDDEN');
    expect(await reader.locator('[data-table]').count()).toBe(0);
    await narrow.close();

    const brief = await browser.newContext();
    const short = await login(brief, await hsToken({ scope: 'debug:read dsr:read' }, { exp: '3s' }));
    expect(await short.locator('[data-stat="accepted"]').count()).toBe(1);
    const [cookie] = await brief.cookies(`${proxy}/admin/ui/overview`);
    expect(cookie).toMatchObject({ name: 'tr_console', httpOnly: true, sameSite: 'Strict', path: '/admin/ui' });
    await new Promise((r) => setTimeout(r, 3500));
    // The browser dropped the cookie with the session …
    await short.goto(`${proxy}/admin/ui/consent`);
    expect(new URL(short.url()).pathname).toBe('/admin/ui/login');
    expect(await attr(short, '[data-login-reason]', 'data-login-reason')).toBe('missing');
    // … and a kept copy of it (a client that ignores Max-Age, a stolen cookie) is refused as expired.
    await brief.addCookies([{ name: cookie!.name, value: cookie!.value, domain: '127.0.0.1', path: '/admin/ui', httpOnly: true, sameSite: 'Strict' }]);
    await short.goto(`${proxy}/admin/ui/consent`);
    expect(new URL(short.url()).pathname).toBe('/admin/ui/login');
    expect(await attr(short, '[data-login-reason]', 'data-login-reason')).toBe('expired');
    expect(await short.locator('[data-table]').count()).toBe(0);
    await brief.close();
  });
});
