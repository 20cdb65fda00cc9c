/**
 * @module Delivery view: per destination health, outbox depth and age, recent failures with the vendor's
 * answer, and the dead-letter browser with replay (scope `dlq:write`, CSRF token).
 */
import type { DeadLetter } from '../../delivery/dead-letter.js';
import type { DestinationHealth, RecentFailure } from '../queries.js';
import type { ConsoleSession } from '../session.js';
import { CONSOLE_PATH } from '../session.js';
import { age, html, table, when, type Html } from '../layout.js';

export function deliveryView(opts: {
  health: DestinationHealth[];
  failures: RecentFailure[];
  deadLetters: DeadLetter[];
  destination?: string;
  session: ConsoleSession;
  csrf: string;
  now: number;
  replayed?: number;
}): Html {
  const { health, failures, deadLetters, session, csrf } = opts;
  const canReplay = session.scopes.includes('dlq:write');
  return html`
${opts.replayed !== undefined ? html`<div class="notice" data-replayed="${opts.replayed}">Requeued ${opts.replayed} item(s); delivery sends them at its next poll.</div>` : ''}
<section>
  <h2>Destinations (last 24 h)</h2>
  ${table(
    ['destination', 'breaker', 'delivered', 'dropped', 'skipped', 'retrying', 'dead', 'outbox depth', 'oldest pending'],
    health.map((h) => [
      html`<strong>${h.id}</strong> <span class="muted">${h.type}</span>`,
      html`<span class="pill ${h.breaker ?? ''}">${h.breaker ?? '—'}</span>`,
      html`<span data-dest="${h.id}" data-delivered="${h.statuses.delivered ?? 0}">${h.statuses.delivered ?? 0}</span>`,
      html`${h.statuses.dropped ?? 0}`,
      html`${h.statuses.skipped ?? 0}`,
      html`${h.retrying}`,
      html`<span data-dest="${h.id}" data-dead="${h.deadLetters}">${h.deadLetters}</span>`,
      html`<span data-dest="${h.id}" data-pending="${h.pending}">${h.pending}</span>`,
      html`${age(h.oldestAgeMs)}`,
    ]),
    { id: 'destinations' },
  )}
</section>
<section>
  <h2>Recent failures</h2>
  ${table(
    ['time', 'destination', 'event', 'status', 'attempts', "vendor's answer"],
    failures.map((f) => [
      html`${when(f.updated_at)}`,
      html`${f.destination_id}`,
      html`<code>${f.event_id}</code>`,
      html`<span class="pill ${f.status}">${f.status}</span>`,
      html`${f.attempts}`,
      html`<code class="answer">${f.error}</code>`,
    ]),
    { id: 'failures', empty: 'No failed deliveries.' },
  )}
</section>
<section>
  <h2>Dead letters${opts.destination ? html` of ${opts.destination}` : ''}</h2>
  <form method="get" action="${CONSOLE_PATH}/delivery" class="inline">
    <select name="destination">
      <option value="">every destination</option>
      ${health.map((h) => html`<option value="${h.id}" ${h.id === opts.destination ? 'selected' : ''}>${h.id}</option>`)}
    </select>
    <button type="submit" class="secondary">Filter</button>
  </form>
  <form method="post" action="${CONSOLE_PATH}/delivery/replay" data-form="replay">
    <input type="hidden" name="_csrf" value="${csrf}">
    ${table(
      ['', 'id', 'destination', 'event', 'failed', 'attempts', 'reason'],
      deadLetters.map((d) => [
        canReplay ? html`<input type="checkbox" name="ids" value="${d.id}" aria-label="select ${d.id}">` : html``,
        html`<a href="${CONSOLE_PATH}/delivery/dead-letter/${d.id}">${d.id}</a>`,
        html`${d.destination_id}`,
        html`<code>${d.event_id}</code>`,
        html`${when(d.failed_at)}`,
        html`${d.attempts}`,
        html`<code class="answer">${d.reason}</code>`,
      ]),
      { id: 'dead-letters', empty: 'The dead-letter store is empty.' },
    )}
    ${canReplay && deadLetters.length > 0
      ? html`<p class="inline"><button type="submit" name="select" value="ids">Replay selected</button>
        ${opts.destination ? html`<button type="submit" name="select" value="destination" class="secondary">Replay every item of ${opts.destination}</button><input type="hidden" name="destination" value="${opts.destination}">` : ''}</p>`
      : canReplay ? '' : html`<p class="muted">Replay needs scope <code>dlq:write</code>.</p>`}
  </form>
</section>`;
}

/** One dead letter with its (already minimized) payload. */
export function deadLetterView(item: DeadLetter, canReplay: boolean, csrf: string): Html {
  return html`
<p><a href="${CONSOLE_PATH}/delivery">← Delivery</a></p>
${table(['field', 'value'], [
  [html`destination`, html`${item.destination_id}`],
  [html`event`, html`<code>${item.event_id}</code>`],
  [html`created`, html`${when(item.created_at)}`],
  [html`failed`, html`${when(item.failed_at)}`],
  [html`attempts`, html`${item.attempts}`],
  [html`reason (vendor's answer)`, html`<code class="answer">${item.reason}</code>`],
], { id: 'dead-letter' })}
<h2>Payload (minimized, as decided at failure)</h2>
<pre data-payload>${JSON.stringify(item.payload, null, 2)}</pre>
${canReplay
  ? html`<form method="post" action="${CONSOLE_PATH}/delivery/replay" class="inline" data-form="replay-one">
      <input type="hidden" name="_csrf" value="${csrf}"><input type="hidden" name="ids" value="${item.id}">
      <button type="submit" name="select" value="ids">Replay this item</button></form>`
  : ''}`;
}
