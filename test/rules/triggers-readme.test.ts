/**
 * The README's worked example (three micro-conversions and a cart reminder to a webhook): the config
 * block is valid, the rules derive what the table says, and what the trigger emits goes only to the CRM.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { compileConversions, deriveEvents } from '../../src/rules/conversions.js';
import { compileTriggers, triggerStatements } from '../../src/rules/triggers.js';
import { resolveConsent } from '../../src/consent/resolve.js';
import { toRecord } from '../../src/delivery/record.js';
import { decide } from '../../src/delivery/decide.js';
import { destinations as registry } from '../../src/destinations/index.js';
import { makeEvent } from './helpers.js';

const readme = readFileSync('docs/tracking-plan.md', 'utf8');
const block = readme.slice(readme.indexOf('<!-- triggers-example:start'), readme.indexOf('<!-- triggers-example:end -->'));
const yamlText = /```yaml\n([\s\S]*?)```/.exec(block)![1]!;
const config = parseConfig(yamlText, 'docs/tracking-plan.md', { GA4_API_SECRET: 'ga4-secret', WEBHOOK_SECRET: 'w'.repeat(40) });
const active = config.destinations.map((d) => ({ config: d, kind: registry[d.type] }));
const consent = resolveConsent({ signals: { analytics_storage: 'granted', ad_personalization: 'granted', ad_user_data: 'granted', ad_storage: 'granted' }, headers: {} }, config.consent);
const identity = { had_user_data: false, hashed: {}, dropped: {}, pseudo: { client_id: 'k'.repeat(64) }, salt_id: 's', notes: [] };

describe("the README's worked example", () => {
  it('the three rules derive view_pricing, read_article and download_brochure', () => {
    const rules = compileConversions(config.conversions);
    const names = [
      makeEvent({ page: { url: 'https://shop.example/pricing/teams' } }),
      makeEvent({ name: 'scroll', params: { percent_scrolled: 90 } }),
      makeEvent({ name: 'file_download', params: { link_url: 'https://shop.example/brochures/spec.pdf', file_name: 'spec.pdf' } }),
    ].map((e) => deriveEvents(e, rules).map((d) => d.name));
    expect(names).toEqual([['view_pricing'], ['read_article'], ['download_brochure']]);
  });

  it('an add_to_cart arms the cart trigger; a purchase cancels it', () => {
    const triggers = compileTriggers(config.triggers);
    const record = (name: string) => toRecord(makeEvent({ name, consent_state: consent }), identity, [], 'v');
    expect(triggerStatements(record('add_to_cart'), { client: 'k'.repeat(64) }, triggers)[0]!.sql).toMatch(/^INSERT INTO trigger_timers/);
    expect(triggerStatements(record('purchase'), { client: 'k'.repeat(64) }, triggers)[0]!.params).toContain('trigger.cancelled:purchase');
  });

  it('cart_abandoned goes to the CRM only; a micro-conversion goes to the lake and GA4, not the CRM', () => {
    const abandoned = { ...toRecord(makeEvent({ name: 'cart_abandoned', consent_state: consent, params: { value: 59.8, currency: 'EUR' } }), identity, [], 'v'), only_destinations: ['crm'] };
    const byDest = Object.fromEntries(active.map((d) => [d.config.id, decide(abandoned, d)]));
    expect(byDest.crm!.action).toBe('send');
    expect(byDest.lake).toMatchObject({ action: 'skip', reasons: ['trigger.not_a_target'] });
    expect(byDest.ga4).toMatchObject({ action: 'skip', reasons: ['trigger.not_a_target'] });

    const micro = toRecord(makeEvent({ name: 'view_pricing', consent_state: consent }), identity, [], 'v');
    const decided = Object.fromEntries(active.map((d) => [d.config.id, decide(micro, d)]));
    expect(decided.lake!.action).toBe('send');
    expect(decided.ga4!.action).toBe('send');
    expect(decided.crm).toMatchObject({ action: 'skip' });
    expect(decided.crm!.reasons).toContain('webhook.event_not_selected');
  });
});
