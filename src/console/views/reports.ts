/**
 * @module Reports and alarms view: the report module's funnel, micro-conversion lift, abandonment and
 * revenue by channel as server-rendered SVG charts, and the alarm list (open and recent).
 */
import type { Context } from 'hono';
import type { Services } from '../../services.js';
import type { Alarm } from '../../alarms/message.js';
import { drawReport, type AbandonmentData, type FunnelData, type MicroData, type RevenueData, type ReportResult } from '../../reports/index.js';
import { reportSetup } from '../../reports/context.js';
import { TagrelayError } from '../../errors.js';
import { horizontalBars, stackedBars } from '../charts.js';
import { CONSOLE_PATH } from '../session.js';
import { html, stat, table, when, type Html } from '../layout.js';

const RANGES = ['24h', '7d', '30d', '90d'];
const pct = (v: number | null) => (v === null ? '—' : `${(100 * v).toFixed(1)} %`);
const money = (v: number) => v.toLocaleString('en', { maximumFractionDigits: 2 });

/** The alarm rows (open first). */
export function alarmTable(alarms: readonly Alarm[], id: string): Html {
  return table(
    ['kind', 'subject', 'since', 'expected', 'seen', 'status', 'detail'],
    alarms.map((a) => [
      html`<code>${a.kind}</code>`,
      html`${a.subject}`,
      html`${when(a.since)}`,
      html`${a.expected}`,
      html`${a.seen}`,
      html`<span class="pill ${a.resolved_at ? 'ok' : 'bad'}" data-alarm="${a.key}" data-status="${a.resolved_at ? 'resolved' : 'open'}">${a.resolved_at ? `resolved ${when(a.resolved_at)}` : 'open'}</span>`,
      html`${a.detail}`,
    ]),
    { id, empty: 'No alarms.' },
  );
}

/** Open alarms for the overview (the state of the last evaluation; no store read). */
export async function openAlarmsSection(services: Services): Promise<Html> {
  const open = services.alarms.open();
  return html`<section><h2>Open alarms (${open.length})</h2>${alarmTable(open, 'open-alarms')}</section>`;
}

/** The view at /admin/ui/reports (scope `reports:read`). */
export async function reportsView(services: Services, c: Context): Promise<Html> {
  const since = c.req.query('since') ?? '30d';
  if (!RANGES.includes(since)) throw new TagrelayError('ERR_INVALID_QUERY', `since expects one of ${RANGES.join(', ')}`, { field: 'since' });
  const { runtime, config } = services;
  const { source, ctx } = reportSetup(config, { db: runtime.db, now: runtime.now() });
  const draw = <T>(name: string, raw: Record<string, string> = {}) => drawReport(source, name, { since, ...raw }, ctx) as Promise<ReportResult<T>>;
  const funnel = await draw<FunnelData>('funnel');
  const micro = await draw<MicroData>('micro');
  const abandonment = await draw<AbandonmentData>('abandonment', { by: 'channel' });
  const revenue = await draw<RevenueData>('revenue', { by: 'channel' });
  const alarms = await services.alarms.list({ limit: 50 });
  const cov = funnel.coverage;
  const r = revenue.data;
  return html`
<form method="get" action="${CONSOLE_PATH}/reports" class="inline">
  <label>Range <select name="since">${RANGES.map((x) => html`<option value="${x}" ${x === since ? 'selected' : ''}>last ${x}</option>`)}</select></label>
  <button type="submit" class="secondary">Show</button>
</form>
<p class="muted" data-coverage="${cov.events}">${funnel.range.since.slice(0, 16)} – ${funnel.range.until.slice(0, 16)} UTC. Of ${cov.events} warehouse events, ${cov.full} were
sent in full (with a visitor id), ${cov.anonymized} anonymized and ${cov.cookieless} cookieless: only full events count as a visitor or a session.</p>
<section>
  <h2>Funnel (${funnel.data.count}, within ${funnel.data.within})</h2>
  ${horizontalBars('funnel', funnel.data.total.map((s) => ({ label: s.name, value: s.count, note: s.step_conversion === null ? undefined : `${pct(s.step_conversion)} of previous` })))}
</section>
<section>
  <h2>Micro-conversion lift (${micro.data.units} ${micro.data.count}, ${micro.data.purchasing_units} purchasing)</h2>
  ${table(
    ['micro-conversion', 'with it', 'rate', 'purchase rate with', 'without', 'lift'],
    micro.data.micro.map((m) => [html`<code>${m.name}</code>`, html`${m.with}`, html`${pct(m.rate)}`, html`${pct(m.purchase_rate_with)}`, html`${pct(m.purchase_rate_without)}`, html`<span data-lift="${m.rule_id}">${m.lift === null ? '—' : `${m.lift.toFixed(2)}×`}</span>`]),
    { id: 'micro', empty: 'No micro-conversion rules configured.' },
  )}
</section>
<section>
  <h2>Abandonment</h2>
  <div class="grid">
    ${stat('carts', 'Carts', abandonment.data.total.carts)}
    ${stat('cart-abandonment', 'Cart abandonment', pct(abandonment.data.total.cart_abandonment_rate))}
    ${stat('checkouts', 'Checkouts', abandonment.data.total.checkouts)}
    ${stat('checkout-abandonment', 'Checkout abandonment', pct(abandonment.data.total.checkout_abandonment_rate))}
  </div>
  ${(abandonment.data.groups ?? []).length === 0 ? '' : horizontalBars('abandonment-by-channel', (abandonment.data.groups ?? []).map((g) => ({ label: g.key ?? '(none)', value: g.abandoned_carts, note: `of ${g.carts} carts` })), { color: '#b26b00' })}
</section>
<section>
  <h2>Revenue by channel</h2>
  <div class="grid">
    ${stat('revenue', `Revenue${r.total.currencies.length === 1 ? ` (${r.total.currencies[0]})` : ''}`, money(r.total.revenue))}
    ${stat('orders', 'Orders', r.total.orders)}
    ${stat('aov', 'Average order', r.total.aov === null ? '—' : money(r.total.aov))}
    ${stat('conversion', 'Session conversion', pct(r.total.conversion_rate))}
  </div>
  ${horizontalBars('revenue-by-channel', r.groups.map((g) => ({ label: g.key ?? '(none)', value: g.revenue, note: `${g.orders} orders` })), { color: '#1a7f4b', format: money })}
  ${r.by_day.length > 1
    ? stackedBars('revenue-by-day', r.by_day.map((d) => d.key ?? ''), [{ name: 'revenue', color: '#1a7f4b', values: r.by_day.map((d) => d.revenue) }], { height: 160, title: 'revenue per day' })
    : ''}
  ${r.unattributed.orders > 0 ? html`<p class="muted">${r.unattributed.orders} order(s) (${money(r.unattributed.revenue)}) had no session to attribute to (anonymized or cookieless).</p>` : ''}
</section>
<section>
  <h2>Alarms</h2>
  ${alarmTable(alarms, 'alarms')}
</section>`;
}
