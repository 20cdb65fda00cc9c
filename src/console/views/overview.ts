/**
 * @module Overview: events per minute (accepted, rejected, duplicates, bots), consent outcomes, delivery
 * health per destination — all from the store.
 */
import type { Services } from '../../services.js';
import { trafficSeries, deliveryHealth, consentShares } from '../queries.js';
import { stackedBars } from '../charts.js';
import { age, html, stat, table, type Html } from '../layout.js';

/** Extra sections other modules add to the overview (open alarms). */
export type OverviewSection = (services: Services, now: number) => Promise<Html | undefined>;

export async function overviewView(services: Services, now: number, extra: OverviewSection[] = []): Promise<Html> {
  const { db } = services.runtime;
  const traffic = await trafficSeries(db, now, 60);
  const health = await deliveryHealth(
    db,
    services.destinations.map((d) => ({ id: d.config.id, type: d.config.type })),
    now,
    now - 3_600_000,
    services.worker.stats.breakers,
  );
  const consent = await consentShares(db, now, 1);
  const labels = traffic.minutes.map((m) => new Date(m).toISOString().slice(11, 16));
  const extras = (await Promise.all(extra.map((f) => f(services, now)))).filter((x) => x !== undefined);
  const purposes = Object.entries(consent.byPurpose).sort(([a], [b]) => a.localeCompare(b));
  return html`
<section>
  <div class="grid">
    ${stat('accepted', 'Accepted (60 min)', traffic.totals.accepted)}
    ${stat('rejected', 'Rejected (60 min)', traffic.totals.rejected)}
    ${stat('duplicates', 'Duplicates (60 min)', traffic.totals.duplicates)}
    ${stat('bots', 'Bots (60 min)', traffic.totals.bots)}
  </div>
  <h2>Events per minute</h2>
  ${stackedBars('traffic', labels, [
    { name: 'accepted', color: '#2457d6', values: traffic.accepted },
    { name: 'rejected', color: '#c0362c', values: traffic.rejected },
    { name: 'duplicates', color: '#8a94a6', values: traffic.duplicates },
    { name: 'bots', color: '#b26b00', values: traffic.bots },
  ], { title: 'events per minute, last 60 minutes (UTC)' })}
  ${traffic.reasons.length > 0
    ? html`<h3>Not recorded, by reason</h3>${table(['outcome', 'reason', 'events'], traffic.reasons.map((r) => [html`${r.outcome}`, html`<code>${r.reason}</code>`, html`${r.count}`]), { id: 'reasons' })}`
    : ''}
</section>
${extras}
<section>
  <h2>Consent outcomes (this hour, ${consent.events} events)</h2>
  ${table(
    ['purpose', 'granted', 'denied', 'granted share'],
    purposes.map(([p, v]) => {
      const g = v.granted.reduce((a, b) => a + b, 0);
      const d = v.denied.reduce((a, b) => a + b, 0);
      return [html`<code>${p}</code>`, html`<span data-purpose="${p}" data-granted="${g}">${g}</span>`, html`<span data-purpose="${p}" data-denied="${d}">${d}</span>`, html`${g + d > 0 ? `${Math.round((100 * g) / (g + d))} %` : '—'}`];
    }),
    { id: 'consent-outcomes', empty: 'No events this hour.' },
  )}
</section>
<section>
  <h2>Delivery health (last hour)</h2>
  ${table(
    ['destination', 'breaker', 'delivered', 'dropped / skipped', 'retrying', 'dead letters', 'pending', 'oldest pending'],
    health.map((h) => [
      html`<strong>${h.id}</strong> <span class="muted">${h.type}</span>`,
      html`<span class="pill ${h.breaker ?? ''}">${h.breaker ?? '—'}</span>`,
      html`<span data-dest="${h.id}" data-delivered="${h.statuses.delivered ?? 0}">${h.statuses.delivered ?? 0}</span>`,
      html`${(h.statuses.dropped ?? 0) + (h.statuses.skipped ?? 0)}`,
      html`${h.retrying}`,
      html`<span data-dest="${h.id}" data-dead="${h.deadLetters}">${h.deadLetters}</span>`,
      html`<span data-dest="${h.id}" data-pending="${h.pending}">${h.pending}</span>`,
      html`${age(h.oldestAgeMs)}`,
    ]),
    { id: 'health' },
  )}
</section>`;
}
