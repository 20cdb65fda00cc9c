/**
 * @module Consent view: the policy per region, the share of decisions per purpose and reason over time
 * (from the records), and a consent receipt lookup by client id (through its pseudonym: the audit holds
 * no clear id).
 */
import type { Config } from '../../config/schema.js';
import type { ConsentShare, ConsentReceiptRow } from '../queries.js';
import { stackedBars } from '../charts.js';
import { CONSOLE_PATH } from '../session.js';
import { html, table, when, type Html } from '../layout.js';

export function consentView(
  config: Config,
  shares: ConsentShare,
  lookup?: { clientId: string; receipts: ConsentReceiptRow[]; records: number },
): Html {
  const labels = shares.hours.map((h) => new Date(h).toISOString().slice(11, 13) + 'h');
  const purposes = Object.keys(shares.byPurpose).sort();
  return html`
<section>
  <h2>Policy per region (v${config.consent.policy_version})</h2>
  ${table(['region', 'policy'], Object.entries(config.consent.regions).map(([r, p]) => [html`${r}`, html`<code>${p}</code>`]), { id: 'regions' })}
  <p class="muted">Unknown regions get the strictest configured policy. Region from: ${config.consent.geo_headers.map((h) => html`<code>${h}</code> `)}</p>
</section>
<section>
  <h2>Decisions per purpose, last 24 h (${shares.events} events)</h2>
  <div class="cards">
  ${purposes.map(
    (p) => html`<div><h3><code>${p}</code></h3>${stackedBars(`consent-${p}`, labels, [
      { name: 'granted', color: '#1a7f4b', values: shares.byPurpose[p]!.granted },
      { name: 'denied', color: '#c0362c', values: shares.byPurpose[p]!.denied },
    ], { height: 140, title: `${p} per hour` })}</div>`,
  )}
  </div>
  <h3>By reason</h3>
  ${table(
    ['purpose', 'value', 'reason', 'events', 'share'],
    shares.reasons.map((r) => [
      html`<code>${r.purpose}</code>`,
      html`<span class="pill ${r.value}">${r.value}</span>`,
      html`<code>${r.reason}</code>`,
      html`<span data-reason="${r.purpose}|${r.value}|${r.reason}" data-count="${r.count}">${r.count}</span>`,
      html`${shares.events > 0 ? `${Math.round((100 * r.count) / shares.events)} %` : '—'}`,
    ]),
    { id: 'consent-reasons', empty: 'No events in the last 24 hours.' },
  )}
</section>
<section>
  <h2>Consent receipts of a visitor</h2>
  <form method="get" action="${CONSOLE_PATH}/consent" class="inline" data-form="lookup">
    <input type="search" name="client_id" placeholder="client id (the _ga value or the id the site sent)" value="${lookup?.clientId ?? ''}" size="40">
    <button type="submit">Look up</button>
  </form>
  ${lookup
    ? html`<p data-lookup-records="${lookup.records}">${lookup.receipts.length} recorded choice(s); ${lookup.records} event record(s) of this visitor in the store.</p>
      ${table(
        ['time', 'choice', 'source', 'region', 'policy version'],
        lookup.receipts.map((r) => [
          html`${when(r.time)}`,
          html`${Object.entries(r.state).map(([p, v]) => html`<span class="pill ${v}">${p}: ${v}</span> `)}`,
          html`${r.source}`,
          html`${r.region}`,
          html`${r.policy_version}`,
        ]),
        { id: 'receipts', empty: 'No consent choice recorded for this client id.' },
      )}`
    : ''}
</section>`;
}
