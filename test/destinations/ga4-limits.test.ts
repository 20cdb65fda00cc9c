import { describe, expect, it } from 'vitest';
import { ga4, ga4ConfigSchema } from '../../src/destinations/ga4.js';
import { singleEventBodyBytes, type Ga4Payload } from '../../src/destinations/ga4-map.js';
import type { Item, Scalar } from '../../src/event.js';
import type { MapContext, MapResult } from '../../src/destinations/types.js';
import { event } from './fixtures.js';

const truncate = ga4ConfigSchema.parse({ id: 'ga', type: 'ga4', measurement_id: 'G-TEST123', api_secret: 'x' });
const drop = { ...truncate, limit_behavior: 'drop' as const };
const full: MapContext = { action: 'send', reasons: [] };

function ok(r: MapResult<Ga4Payload>): { payload: Ga4Payload; notes: string[] } {
  if ('skip' in r) throw new Error(`unexpected skip ${r.skip}`);
  return { payload: r.payload, notes: r.notes ?? [] };
}

describe('ga4 limits: event names', () => {
  it.each([
    ['session_start', 'ga4.event_name_reserved'],
    ['first_visit', 'ga4.event_name_reserved'],
    ['screen_view', 'ga4.event_name_reserved'],
    ['app_store_subscription_convert', 'ga4.event_name_reserved'],
    ['google_thing', 'ga4.event_name_reserved_prefix'],
    ['ga_thing', 'ga4.event_name_reserved_prefix'],
    ['firebase_campaign', 'ga4.event_name_reserved_prefix'],
    ['_bad', 'ga4.event_name_invalid'],
    ['1st', 'ga4.event_name_invalid'],
    ['has space', 'ga4.event_name_invalid'],
  ])('%s is skipped with %s in both modes', (name, reason) => {
    expect(ga4.map(event({ name }), truncate, full)).toEqual({ skip: reason });
    expect(ga4.map(event({ name }), drop, full)).toEqual({ skip: reason });
  });

  it('a name over 40 characters is truncated (truncate) or skipped (drop)', () => {
    const name = `a${'b'.repeat(44)}`;
    const r = ok(ga4.map(event({ name }), truncate, full));
    expect(r.payload.event.name).toBe(name.slice(0, 40));
    expect(r.notes).toContain('ga4.event_name_too_long');
    expect(ga4.map(event({ name }), drop, full)).toEqual({ skip: 'ga4.event_name_too_long' });
  });

  it('page_view and other web events are not reserved for the Measurement Protocol', () => {
    expect(ok(ga4.map(event({ name: 'page_view' }), drop, full)).payload.event.name).toBe('page_view');
  });
});

describe('ga4 limits: params', () => {
  it('keeps at most 25 params, session and engagement first, dropping the custom tail', () => {
    const params: Record<string, Scalar> = {};
    for (let i = 0; i < 30; i++) params[`p${i}`] = i;
    const r = ok(ga4.map(event({ name: 'custom', params }), truncate, full));
    const names = Object.keys(r.payload.event.params);
    expect(names).toHaveLength(25);
    expect(names.slice(0, 2)).toEqual(['session_id', 'engagement_time_msec']);
    expect(names).toContain('p22');
    expect(names).not.toContain('p23');
    expect(r.notes.filter((n) => n.startsWith('ga4.too_many_params:'))).toHaveLength(7);
    expect(ga4.map(event({ name: 'custom', params }), drop, full)).toEqual({ skip: 'ga4.too_many_params:p23' });
  });

  it('truncates values over 100 characters; page_location may have 1000', () => {
    const long = 'x'.repeat(150);
    const url = `https://shop.example/${'y'.repeat(900)}`;
    const r = ok(ga4.map(event({ name: 'custom', params: { note: long }, page: { url } }), truncate, full));
    expect(r.payload.event.params.note).toBe('x'.repeat(100));
    expect(r.payload.event.params.page_location).toBe(url);
    expect(r.notes).toEqual(['ga4.param_value_too_long:note']);
    expect(ga4.map(event({ name: 'custom', params: { note: long } }), drop, full)).toEqual({ skip: 'ga4.param_value_too_long:note' });
  });

  it('drops params with reserved or invalid names and truncates names over 40', () => {
    const longName = `n${'m'.repeat(45)}`;
    const r = ok(ga4.map(event({ name: 'custom', params: { google_x: 1, 'gtag.y': 2, _z: 3, firebase_conversion: 4, [longName]: 5 } }), truncate, full));
    expect(r.payload.event.params).toEqual({ session_id: '1714564800', engagement_time_msec: 120, [longName.slice(0, 40)]: 5 });
    expect(r.notes).toEqual([
      'ga4.param_name_reserved_prefix:google_x',
      'ga4.param_name_reserved_prefix:gtag.y',
      'ga4.param_name_invalid:_z',
      'ga4.param_name_reserved:firebase_conversion',
      `ga4.param_name_too_long:${longName}`,
    ]);
  });

  it('drops a non-numeric value for a numeric e-commerce param', () => {
    const r = ok(ga4.map(event({ name: 'purchase', params: { value: 'lots', currency: 'EUR' } }), truncate, full));
    expect(r.payload.event.params.value).toBeUndefined();
    expect(r.notes).toEqual(['ga4.param_type_invalid:value']);
  });
});

describe('ga4 limits: items and user properties', () => {
  it('keeps at most 200 items and drops items with neither id nor name', () => {
    const items: Item[] = Array.from({ length: 205 }, (_, i) => ({ item_id: `S${i}` }));
    items.unshift({ price: 3 });
    const r = ok(ga4.map(event({ name: 'view_item_list', items }), truncate, full));
    const sent = r.payload.event.params.items as Item[];
    expect(sent).toHaveLength(200);
    expect(sent[0]).toEqual({ item_id: 'S0' });
    expect(r.notes).toEqual(['ga4.item_missing_id', 'ga4.too_many_items']);
    expect(ga4.map(event({ name: 'view_item_list', items }), drop, full)).toEqual({ skip: 'ga4.item_missing_id' });
  });

  it('enforces 25 user properties, names ≤ 24, values ≤ 36, reserved names', () => {
    const props: Record<string, Scalar> = { first_open_time: 1, ga_x: 'y', [`u${'v'.repeat(24)}`]: 'a', long_value: 'z'.repeat(40) };
    for (let i = 0; i < 26; i++) props[`prop${i}`] = i;
    const r = ok(ga4.map(event({ user_properties: props }), truncate, full));
    const up = r.payload.user_properties!;
    expect(Object.keys(up)).toHaveLength(25);
    expect(up.long_value).toEqual({ value: 'z'.repeat(36) });
    expect(up.first_open_time).toBeUndefined();
    expect(r.notes).toEqual([
      'ga4.user_property_name_reserved:first_open_time',
      'ga4.user_property_name_reserved_prefix:ga_x',
      `ga4.user_property_name_too_long:u${'v'.repeat(24)}`,
      'ga4.user_property_value_too_long:long_value',
      'ga4.too_many_user_properties:prop24',
      'ga4.too_many_user_properties:prop25',
    ]);
  });

  it('trims items until the single-event body is under 130 kB, or skips in drop mode', () => {
    const item = (i: number): Item => {
      const it: Item = { item_id: `S${i}` };
      for (let k = 0; k < 10; k++) it[`c${k}`] = 'q'.repeat(100);
      return it;
    };
    const items = Array.from({ length: 200 }, (_, i) => item(i));
    const r = ok(ga4.map(event({ name: 'view_item_list', items }), truncate, full));
    expect(singleEventBodyBytes(r.payload)).toBeLessThan(130_000);
    expect((r.payload.event.params.items as Item[]).length).toBeLessThan(200);
    expect(r.notes).toContain('ga4.payload_too_large');
    expect(ga4.map(event({ name: 'view_item_list', items }), drop, full)).toEqual({ skip: 'ga4.payload_too_large' });
  });
});
