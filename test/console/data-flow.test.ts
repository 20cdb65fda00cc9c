import { describe, expect, it } from 'vitest';
import { configSchema, type ConfigInput } from '../../src/config/schema.js';
import { dataFlowCsv, dataFlowMarkdown, formatDuration, generateDataFlow, type DataFlowRecord } from '../../src/console/data-flow.js';
import { nodeHasher } from '../privacy/fixtures.js';

const HOOK_SECRET = 'whsec-data-flow-test-secret-0123456789abcdef';

async function flow(input: ConfigInput): Promise<DataFlowRecord> {
  return generateDataFlow(configSchema.parse(input), nodeHasher, Date.UTC(2026, 10, 29, 12));
}

function field(record: DataFlowRecord, dest: string, consent: 'consented' | 'not_consented', name: string) {
  const d = record.destinations.find((x) => x.id === dest)!;
  const mode = d.modes.find((m) => m.consent === consent)!;
  return { action: mode.action, ...mode.fields.find((f) => f.field === name)! };
}

const base: ConfigInput = {
  consent: { regions: { EEA: 'opt_in', US: 'opt_out', default: 'notice' } },
  destinations: [
    { id: 'ga', type: 'ga4', measurement_id: 'G-ABC123', api_secret: 'ga-secret' },
    { id: 'meta', type: 'meta_capi', pixel_id: '123456', access_token: 'meta-token' },
    { id: 'lake', type: 'sqlite' },
  ],
};

describe('the record of processing generated from the config', () => {
  it('says per destination in which form each field leaves, per the hashing rule of its vendor', async () => {
    const r = await flow(base);
    expect(field(r, 'meta', 'consented', 'user.email')).toMatchObject({ form: 'hashed', rule: 'SHA-256 of the Meta-normalized value', action: 'send' });
    expect(field(r, 'ga', 'consented', 'user.email')).toMatchObject({ form: 'hashed', rule: 'SHA-256 of the Google-normalized value' });
    // Google takes address parts normalized but in clear.
    expect(field(r, 'ga', 'consented', 'user.postal_code')).toMatchObject({ form: 'clear' });
    expect(field(r, 'ga', 'consented', 'user.gender')).toMatchObject({ form: 'dropped' });
    expect(field(r, 'lake', 'consented', 'user.email').form).toBe('pseudonymized');
    expect(field(r, 'lake', 'consented', 'client.client_id').form).toBe('pseudonymized');
    expect(field(r, 'meta', 'consented', 'request.ip')).toMatchObject({ form: 'clear' });
    expect(field(r, 'lake', 'consented', 'request.ip')).toMatchObject({ form: 'truncated', reasons: ['privacy.ip_truncated'] });
    expect(field(r, 'meta', 'consented', 'client.fbp / fbc (Meta browser and click ids)').form).toBe('clear');
    expect(field(r, 'ga', 'consented', 'client.fbp / fbc (Meta browser and click ids)').form).toBe('dropped');
  });

  it('follows the consent outcome: dropped, or anonymized with the ids pseudonymized and click ids gone', async () => {
    const r = await flow(base);
    expect(field(r, 'ga', 'not_consented', 'page.url')).toMatchObject({ action: 'drop', form: 'dropped' });
    expect(field(r, 'lake', 'not_consented', 'user.email')).toMatchObject({ action: 'anonymize', form: 'dropped', reasons: ['privacy.user_data_removed'] });
    expect(field(r, 'lake', 'not_consented', 'client.session_id').form).toBe('pseudonymized');
    expect(field(r, 'lake', 'not_consented', 'page.url').form).toBe('redacted');
    expect(field(r, 'lake', 'not_consented', 'campaign click ids (gclid, fbclid, …)').form).toBe('dropped');
    expect(field(r, 'lake', 'not_consented', 'device (browser, OS)').form).toBe('reduced');
  });

  it('changes when the privacy config changes (ip, user_agent, fields.deny, fields.allow)', async () => {
    const r = await flow({
      ...base,
      destinations: [
        { id: 'meta', type: 'meta_capi', pixel_id: '123456', access_token: 'meta-token', privacy: { ip: 'truncate', user_agent: 'reduced', fields: { deny: ['probe_param'] } } },
        { id: 'hook', type: 'webhook', url: 'https://hook.example/in', secret: HOOK_SECRET, privacy: { fields: { allow: ['value', 'currency'] } } },
      ],
    });
    expect(field(r, 'meta', 'consented', 'request.ip').form).toBe('truncated');
    expect(field(r, 'meta', 'consented', 'request.user_agent').form).toBe('reduced');
    expect(field(r, 'meta', 'consented', 'custom event params')).toMatchObject({ form: 'dropped', reasons: ['privacy.field_removed:probe_param'] });
    expect(field(r, 'hook', 'consented', 'event params (value, currency, transaction_id)').form).toBe('dropped');
    // A destination that requires no purpose has no "without consent" outcome.
    expect(r.destinations.find((d) => d.id === 'hook')!.modes.map((m) => m.consent)).toEqual(['consented']);
  });

  it('lists per region what happens without a consent signal, from the live region policies', async () => {
    const r = await flow(base);
    const ga = r.destinations.find((d) => d.id === 'ga')!;
    expect(ga.regions).toEqual([
      { region: 'EEA', policy: 'opt_in', without_signal: 'drop', with_consent: 'send' },
      { region: 'US', policy: 'opt_out', without_signal: 'send', with_consent: 'send' },
      { region: 'default', policy: 'notice', without_signal: 'send', with_consent: 'send' },
      { region: 'unknown', policy: 'opt_in (strictest)', without_signal: 'drop', with_consent: 'send' },
    ]);
    // notice: own-site analytics allowed, advertising not.
    expect(r.destinations.find((d) => d.id === 'meta')!.regions.find((x) => x.region === 'default')!.without_signal).toBe('drop');
    const strict = await flow({ ...base, consent: { regions: { default: 'opt_in' } } });
    expect(strict.destinations.find((d) => d.id === 'ga')!.regions.find((x) => x.region === 'default')!.without_signal).toBe('drop');
  });

  it('states retention from the retention rules', async () => {
    const r = await flow({ ...base, retention: { rules: { records: '3d', dead_letter: '21d', delivery_log: '30d', events: '90d', 'events.ip': '7d' } } });
    const lake = r.destinations.find((d) => d.id === 'lake')!;
    expect(lake.retention).toContainEqual({ what: 'rows of the embedded warehouse (events table)', kept: '90d' });
    expect(lake.retention).toContainEqual({ what: 'events.ip in the warehouse', kept: '7d, then removed from the row' });
    expect(lake.retention[0]!.kept).toBe('3d after every destination settled it');
    expect(r.destinations.find((d) => d.id === 'ga')!.retention).toContainEqual({ what: 'undeliverable payload (dead letter)', kept: '21d' });
    expect(formatDuration(3 * 365 * 86_400_000)).toBe('3y');
  });

  it('exports CSV (one row per destination, outcome and field), JSON and Markdown without any probe value in clear', async () => {
    const r = await flow(base);
    const csv = dataFlowCsv(r);
    const rows = csv.trim().split('\n');
    const fieldsPerMode = r.destinations[0]!.modes[0]!.fields.length;
    expect(rows.length).toBe(1 + r.destinations.reduce((n, d) => n + d.modes.length * fieldsPerMode, 0));
    expect(rows[0]).toBe('destination,type,recipient,purposes,regions,consent,action,field,category,form,rule,reasons,retention');
    expect(rows.some((l) => l.startsWith('meta,meta_capi,Meta Platforms (Conversions API),ad_storage ad_user_data,') && l.includes(',consented,send,user.email,contact,hashed,'))).toBe(true);
    const md = dataFlowMarkdown(r);
    expect(md).toContain('## lake — the embedded warehouse (events table of this instance)');
    expect(md).toContain('| user.email | pseudonymized | HMAC-SHA-256 (salt dev) of the Meta-normalized SHA-256 |');
    for (const text of [csv, md, JSON.stringify(r)]) {
      expect(text).not.toMatch(/probe\.person@example\.com/i);
      expect(text).not.toContain('203.0.113.77');
      expect(text).not.toContain('ga-secret');
      expect(text).not.toContain('meta-token');
    }
  });
});
