/**
 * @module Data flow view: the record of processing (GDPR Art. 30) rendered from `data-flow.ts`, with its
 * exports, and the retention purge (scope `dsr:write`).
 */
import type { DataFlowRecord } from '../data-flow.js';
import { CONSOLE_PATH, type ConsoleSession } from '../session.js';
import { html, table, type Html } from '../layout.js';

export function dataFlowView(record: DataFlowRecord, session: ConsoleSession, csrf: string, purged?: { dryRun: boolean; counts: { rule: string; action: string; rows: number }[] }): Html {
  return html`
<p>Generated ${record.generated_at} from the live configuration: each field below was followed through the same
code a real event takes (hashing once per rule, the record, then <code>decide()</code> per destination).
Consent policy v${record.policy_version}; pseudonyms use salt id <code>${record.salt_id}</code>.</p>
<p class="inline">Export:
  <a href="${CONSOLE_PATH}/data-flow.csv" data-export="csv">CSV</a> ·
  <a href="${CONSOLE_PATH}/data-flow.json" data-export="json">JSON</a> ·
  <a href="${CONSOLE_PATH}/data-flow.md" data-export="md">Markdown</a></p>
<div class="cards">
  <div>
    <h2>Consent policy per region</h2>
    ${table(['region', 'policy'], record.regions.map((r) => [html`${r.region}`, html`<code>${r.policy}</code>`]), { id: 'regions' })}
  </div>
  <div>
    <h2>Kept by tagrelay</h2>
    ${table(['store', 'kept'], record.store.map((s) => [html`<code>${s.what}</code>`, html`${s.kept}`]), { id: 'store' })}
  </div>
</div>
${record.destinations.map(
  (d) => html`
<section class="destination" data-destination="${d.id}">
  <h2>${d.id} — ${d.recipient}</h2>
  <p>Type <code>${d.type}</code>${d.endpoint ? html`, endpoint <code>${d.endpoint}</code>` : ''}. Purposes required:
  ${d.purposes.length > 0 ? d.purposes.map((p) => html`<code>${p}</code> `) : 'none'}; without them: <span class="pill ${d.when_denied}">${d.when_denied}</span>${d.tcf_vendor_id !== undefined ? html`; TCF vendor ${d.tcf_vendor_id}` : ''}.</p>
  ${table(['region', 'policy', 'no consent signal', 'consent granted'], d.regions.map((r) => [html`${r.region}`, html`${r.policy}`, html`<span class="pill ${r.without_signal}">${r.without_signal}</span>`, html`<span class="pill ${r.with_consent}">${r.with_consent}</span>`]), { id: `regions-${d.id}` })}
  ${d.modes.map(
    (m) => html`<h3>${m.consent === 'consented' ? 'With consent' : 'Without consent'}: <span class="pill ${m.action}">${m.action}</span></h3>
    ${table(
      ['field', 'form', 'rule', 'reasons'],
      m.fields.map((f) => [html`${f.field}`, html`<span class="pill ${f.form}" data-field="${f.field}" data-form="${f.form}">${f.form}</span>`, html`${f.rule}`, html`${f.reasons.map((r) => html`<code>${r}</code> `)}`]),
      { id: `fields-${d.id}-${m.consent}` },
    )}`,
  )}
  <h3>Kept how long</h3>
  ${table(['what', 'kept'], d.retention.map((r) => [html`${r.what}`, html`${r.kept}`]), { id: `retention-${d.id}` })}
</section>`,
)}
<section>
  <h2>Retention purge</h2>
  ${purged
    ? html`<div class="notice" data-purge="${purged.dryRun ? 'dry-run' : 'done'}">${purged.dryRun ? 'Would purge' : 'Purged'}: ${purged.counts.map((c) => html`<code>${c.rule}</code> ${c.rows} · `)}</div>`
    : ''}
  ${session.scopes.includes('dsr:write')
    ? html`<form method="post" action="${CONSOLE_PATH}/retention/purge" class="inline" data-form="purge">
        <input type="hidden" name="_csrf" value="${csrf}">
        <label><input type="checkbox" name="dry_run" value="true" checked> dry run (count only)</label>
        <button type="submit">Apply the retention rules now</button>
      </form>`
    : html`<p class="muted">Applying the retention rules needs scope <code>dsr:write</code>.</p>`}
</section>`;
}
