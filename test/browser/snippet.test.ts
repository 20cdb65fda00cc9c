import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import type { Browser, BrowserContext } from 'playwright-core';
import { eventually, launchChromium, startPageServer, startTagrelay, storedEvents, type StoredEvent } from './harness.js';
import { makeTcString } from '../consent/helpers.js';

const GRANTED = "{analytics_storage: 'granted', ad_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted'}";
const STUB = 'window.tagrelay = window.tagrelay || function(){(tagrelay.q=tagrelay.q||[]).push(arguments)};';

/** A page that queues calls before the snippet loads (the stub), then loads /t.js from the proxy. */
function page(proxy: string, head: string, body = ''): string {
  return `<!doctype html><html><head><title>Shop</title><script>${STUB}\n${head}</script>
<script async src="${proxy}/t.js"></script></head>
<body>${body}</body></html>`;
}

describe('the tagrelay snippet in Chromium against the real server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tagrelay-browser-'));
  const dbFile = join(dir, 'tagrelay.db');
  let browser: Browser;
  let proxy = '';
  let site: { origin: string; server: Server };
  let tagrelay: Awaited<ReturnType<typeof startTagrelay>>;
  const tcString = makeTcString({ purposes: [1, 2, 3, 4, 7, 8, 9, 10], vendors: [755] });

  beforeAll(async () => {
    browser = await launchChromium();
    site = await startPageServer(
      {
        // Checkout: explicit consent, auto scroll/outbound, and a tall page with an outbound link.
        '/shop': (p) =>
          page(
            p,
            `tagrelay('consent', ${GRANTED}); tagrelay('auto', {outbound: true, scroll: true}); tagrelay('page');`,
            `<div style="height:6000px">products</div><a id="out" href="${site.origin.replace('127.0.0.1', 'localhost')}/away">partner</a>`,
          ),
        '/away': () => '<!doctype html><title>away</title><p>elsewhere</p>',
        // Consent from a TCF CMP only; time on page recorded.
        '/tcf': (p) =>
          page(
            p,
            `window.__tcfapi = function (cmd, v, cb) { if (cmd === 'addEventListener' && v === 2) cb({ tcString: '${tcString}', gdprApplies: true, eventStatus: 'tcloaded' }, true); };
             tagrelay('auto', {timing: true});`,
          ),
        // Consent from Google Consent Mode commands in dataLayer only.
        '/gcm': (p) =>
          page(
            p,
            `window.dataLayer = window.dataLayer || []; function gtag(){dataLayer.push(arguments);}
             gtag('consent', 'default', {analytics_storage: 'denied', ad_storage: 'denied'});
             gtag('consent', 'update', {analytics_storage: 'granted'});`,
          ),
      },
      () => proxy,
    );
    tagrelay = await startTagrelay(
      ['dev_mode: true', 'server:', `  cors_origins: ["${site.origin}"]`, 'destinations:', '  - id: lake', '    type: sqlite', ''].join('\n'),
      dir,
    );
    proxy = `http://127.0.0.1:${tagrelay.port}`;
  });

  afterAll(async () => {
    await browser?.close();
    if (tagrelay?.child.exitCode === null) tagrelay.child.kill('SIGKILL');
    await new Promise((ok) => site?.server.close(ok));
    rmSync(dir, { recursive: true, force: true });
  });

  async function context(): Promise<BrowserContext> {
    return browser.newContext();
  }

  it('queued events, the user, scroll depth and an outbound click reach the warehouse through the page-hide flush', async () => {
    const ctx = await context();
    const tab = await ctx.newPage();
    // Timers frozen from the first script on: the one-second batch timer never fires, so whatever
    // reaches the warehouse was sent by the flush at page hide.
    const start = Date.now();
    await tab.clock.install({ time: start });
    await tab.clock.pauseAt(start + 1_000);
    await tab.goto(`${site.origin}/shop`);
    await tab.waitForFunction(() => (window as unknown as { tagrelay?: { l?: number } }).tagrelay?.l === 1);
    await tab.evaluate(() => {
      const t = (window as unknown as { tagrelay: (...a: unknown[]) => void }).tagrelay;
      t('user', { user_id: 'u-42', email: 'Jane.Doe@Example.com' });
      t('event', 'add_to_cart', { currency: 'EUR', value: 19.9, items: [{ item_id: 'sku-1', price: 19.9, quantity: 1 }] });
    });
    await tab.mouse.wheel(0, 6000);
    await tab.waitForFunction(() => window.scrollY > 5000);
    expect(storedEvents(dbFile, `${site.origin}/shop`)).toEqual([]);
    await tab.click('#out');
    await tab.waitForURL(/\/away$/);

    const names = ['page_view', 'add_to_cart', 'scroll', 'scroll', 'scroll', 'scroll', 'click'];
    const rows = await eventually('the flushed events', () => {
      const r = storedEvents(dbFile, `${site.origin}/shop`);
      return r.length >= names.length ? r : undefined;
    }, () => storedEvents(dbFile, site.origin).map((e) => [e.name, e.page_url]));
    await ctx.close();
    expect(rows.map((r) => r.name).sort()).toEqual([...names].sort());
    expect(rows.filter((r) => r.name === 'scroll').map((r) => r.data.params.percent_scrolled).sort()).toEqual([25, 50, 75, 90]);
    expect(rows.find((r) => r.name === 'click')!.data.params).toEqual({ link_url: `${site.origin.replace('127.0.0.1', 'localhost')}/away`, link_domain: 'localhost', outbound: true });

    const cart = rows.find((r) => r.name === 'add_to_cart')!;
    expect(cart.event_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(cart.data.params).toEqual({ currency: 'EUR', value: 19.9 });
    expect(cart.data.source).toBe('native');
    expect(cart.data.consent!.purposes.analytics_storage).toMatchObject({ value: 'granted', source: 'explicit' });
    // The user reached the warehouse keyed, never in clear.
    expect(cart.data.hashed_user?.em).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(rows)).not.toMatch(/jane\.doe@example\.com/i);
    // The page_view was queued before the user call: it carries no user.
    expect(rows.find((r) => r.name === 'page_view')!.data.hashed_user?.em).toBeUndefined();
    expect(new Set(rows.map((r) => r.event_id)).size).toBe(rows.length);
  });

  it('page.close() with beforeunload delivers the queue; TCF consent and time on page ride along', async () => {
    const ctx = await context();
    const tab = await ctx.newPage();
    await tab.goto(`${site.origin}/tcf`);
    await tab.waitForFunction(() => (window as unknown as { tagrelay?: { l?: number } }).tagrelay?.l === 1);
    await tab.evaluate(() => (window as unknown as { tagrelay: (...a: unknown[]) => void }).tagrelay('event', 'sign_up', { method: 'email' }));
    await tab.waitForTimeout(50);
    await tab.close({ runBeforeUnload: true });
    const rows = await eventually('sign_up and user_engagement', () => {
      const r = storedEvents(dbFile, `${site.origin}/tcf`);
      return r.some((e) => e.name === 'user_engagement') && r.some((e) => e.name === 'sign_up') ? r : undefined;
    });
    await ctx.close();
    const signUp = rows.find((r) => r.name === 'sign_up')!;
    expect(signUp.data.params).toEqual({ method: 'email' });
    expect(signUp.data.consent!.purposes.analytics_storage).toMatchObject({ value: 'granted', source: 'tcf' });
    const engagement = rows.find((r) => r.name === 'user_engagement')!;
    expect(engagement.data.params.engagement_time_msec).toBeGreaterThan(0);
  });

  it('without a page hide, a batch leaves on its own timer; Google Consent Mode state from dataLayer', async () => {
    const ctx = await context();
    const tab = await ctx.newPage();
    await tab.goto(`${site.origin}/gcm`);
    await tab.evaluate(() => (window as unknown as { tagrelay: (...a: unknown[]) => void }).tagrelay('event', 'view_item', { item_id: 'sku-9' }));
    const rows: StoredEvent[] = await eventually('view_item while the page is open', () => {
      const r = storedEvents(dbFile, `${site.origin}/gcm`);
      return r.length > 0 ? r : undefined;
    });
    expect(tab.isClosed()).toBe(false);
    await ctx.close();
    expect(rows.map((r) => r.name)).toEqual(['view_item']);
    expect(rows[0]!.data.consent!.purposes.analytics_storage).toMatchObject({ value: 'granted', source: 'explicit' });
    expect(rows[0]!.data.consent!.purposes.ad_storage).toMatchObject({ value: 'denied', source: 'explicit' });
  });
});
