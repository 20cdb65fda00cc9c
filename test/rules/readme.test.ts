import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseConfig } from '../../src/config/load.js';
import { checkEvent, compilePlan, decidePlan } from '../../src/rules/plan.js';
import { compileConversions, deriveEvents } from '../../src/rules/conversions.js';
import type { ConsentState } from '../../src/consent/purposes.js';
import type { Event } from '../../src/event.js';
import { makeEvent } from './helpers.js';

// The tracking plan's reference moved from the README to docs/tracking-plan.md (the whole file is the section).
const section = readFileSync('docs/tracking-plan.md', 'utf8');
const blocks = (lang: string) => [...section.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
const [planYaml, conversionsYaml] = blocks('yaml');
const config = parseConfig(`${planYaml}\n${conversionsYaml}`, 'docs/tracking-plan.md', {});

describe("the README's tracking plan", () => {
  const plan = compilePlan(config.tracking_plan!);
  const purchase = (params: Event['params'], items: Event['items'] = [{ item_id: 'A', item_category: 'Tees', price: 5 }]) =>
    makeEvent({ name: 'purchase', params: { transaction_id: 'T1', value: 5, currency: 'EUR', ...params }, items });

  it('the violation shown is what checkEvent answers', () => {
    const shown = JSON.parse(blocks('json')[0]!) as unknown;
    const items = [{ item_id: 'A', item_category: 'x', price: 1 }, { item_id: 'B', item_category: 'x', price: 1 }, { item_id: 'C', item_category: 'x', price: -1 }];
    expect(checkEvent(purchase({}, items), plan)).toEqual([shown]);
  });

  it.each([
    ['a planned purchase passes', purchase({ payment_type: 'card', coupon: 'SUMMER_24' }), 'pass'],
    ['an unlisted payment type is quarantined', purchase({ payment_type: 'cash' }), 'quarantine'],
    ['a lower-case coupon is quarantined', purchase({ coupon: 'summer' }), 'quarantine'],
    ['an item without category is quarantined', purchase({}, [{ item_id: 'A' }]), 'quarantine'],
    ['a sign-up without its list is quarantined', makeEvent({ name: 'newsletter_signup', params: { consent_date: '2024-05-01' } }), 'quarantine'],
    ['a gtag page_view passes', makeEvent({ name: 'page_view' }), 'pass'],
    ['addToCart is warned about, with the planned name', makeEvent({ name: 'addToCart' }), 'warn'],
  ])('%s', (_, event, outcome) => {
    expect(decidePlan(checkEvent(event, plan), plan)).toBe(outcome);
  });

  it('suggests add_to_cart for addToCart', () => {
    expect(checkEvent(makeEvent({ name: 'addToCart' }), plan).map((v) => v.suggestion)).toEqual(['add_to_cart', 'add_to_cart']);
  });
});

describe("the README's conversion rules", () => {
  const rules = compileConversions(config.conversions);
  const derived = (event: Partial<Event>) => deriveEvents(makeEvent({ event_id: 'src-1', ...event }), rules).map((d) => ({ id: d.event_id, name: d.name, kind: d.kind, params: d.params }));

  it.each([
    ['page_view on /pricing* → view_pricing', { name: 'page_view', page: { url: 'https://shop.example/pricing/teams' } }, [{ id: 'src-1:pricing', name: 'view_pricing', kind: 'micro', params: {} }]],
    ['page_view elsewhere → nothing', { name: 'page_view', page: { url: 'https://shop.example/about' } }, []],
    ['a minute of engagement on a product page → engaged_product_view', { name: 'user_engagement', page: { url: 'https://shop.example/products/tee' }, client: { engagement_time_msec: 64000 } }, [{ id: 'src-1:engaged-product', name: 'engaged_product_view', kind: 'micro', params: {} }]],
    ['twenty seconds → nothing', { name: 'user_engagement', page: { url: 'https://shop.example/products/tee' }, client: { engagement_time_msec: 20000 } }, []],
    ['a minute on the blog → nothing', { name: 'user_engagement', page: { url: 'https://shop.example/blog/x' }, params: { engagement_time_msec: 64000 } }, []],
    ['scroll to 90 % → read_article', { name: 'scroll', params: { percent_scrolled: 90 } }, [{ id: 'src-1:read-article', name: 'read_article', kind: 'micro', params: {} }]],
    ['scroll to 75 % → nothing', { name: 'scroll', params: { percent_scrolled: 75 } }, []],
    ['video_complete → a micro-conversion worth 2', { name: 'video_complete', params: { video_title: 'Tour', video_percent: 100 } }, [{ id: 'src-1:video', name: 'video_watched', kind: 'micro', params: { video_title: 'Tour', currency: 'EUR', value: 2 } }]],
    ['a brochure PDF → download_brochure', { name: 'file_download', params: { file_name: '/brochures/2024.pdf', link_url: 'https://shop.example/brochures/2024.pdf', file_extension: 'pdf' } }, [{ id: 'src-1:brochure', name: 'download_brochure', kind: 'micro', params: { file_name: '/brochures/2024.pdf', link_url: 'https://shop.example/brochures/2024.pdf' } }]],
    ['another PDF → nothing', { name: 'file_download', params: { link_url: 'https://shop.example/manuals/a.pdf' } }, []],
    ['a large EEA order → large_order (macro)', { name: 'purchase', params: { transaction_id: 'T', value: 640, currency: 'EUR' }, consent_state: { region: 'FR' } as ConsentState }, [{ id: 'src-1:large-order', name: 'large_order', kind: 'macro', params: { transaction_id: 'T', value: 640, currency: 'EUR' } }]],
    ['a large US order → nothing', { name: 'purchase', params: { value: 640 }, consent_state: { region: 'US-CA' } as ConsentState }, []],
  ] as [string, Partial<Event>, unknown[]][])('%s', (_, event, expected) => {
    expect(derived(event)).toEqual(expected);
  });

  it('the loop message shown is the one the loader gives', () => {
    const loop = 'conversions:\n  - { id: a, when: { event: page_view }, emit: { name: view_pricing } }\n  - { id: b, when: { event: view_pricing }, emit: { name: page_view } }\n';
    const shown = /`(conversions\[1\]\.emit\.name: rules 'a', 'b' form a loop \(page_view → view_pricing →\s+page_view\))`/.exec(section)![1]!.replace(/\s+/g, ' ');
    expect(() => parseConfig(loop, 'site.yaml', {})).toThrow(shown);
  });
});
