import { describe, expect, it } from 'vitest';
import { destinationPrivacySchema, privacyConfigSchema } from '../../src/privacy/config.js';
import { hmac, minimizeClear as minimize, nodeHasher, piiEvent, sha256, type ClearMinimizeOptions as MinimizeOptions } from './fixtures.js';

const global = privacyConfigSchema.parse({ pseudonymization: { salt: 'test-salt-0123456789', salt_id: 's1' } });
const SALT = 'test-salt-0123456789';

function opts(over: Partial<MinimizeOptions> = {}): MinimizeOptions {
  return {
    flavor: 'meta',
    action: 'send',
    privacy: destinationPrivacySchema.parse({}),
    global,
    hasher: nodeHasher,
    defaultIp: 'keep',
    now: Date.UTC(2025, 0, 1),
    ...over,
  };
}

describe('minimize: identity', () => {
  it('meta/full: hashed_user with Meta rules, user keeps user_id only', async () => {
    const { event, reasons } = await minimize(piiEvent(), opts());
    expect(event.user).toEqual({ user_id: 'u-123' });
    expect(event.hashed_user).toEqual({
      em: sha256('jane.doe@example.com'),
      ph: sha256('16505551212'),
      fn: sha256('jane'),
      ln: sha256('doesmith'),
      ge: sha256('f'),
      db: sha256('19850704'),
      ct: sha256('newyork'),
      st: sha256('ny'),
      zp: sha256('10001'),
      country: sha256('us'),
      external_id: sha256('crm-77'),
    });
    expect(event.client.client_id).toBe('1234567890.1700000000');
    expect(event.client.fbp).toBe('fb.1.1596403881668.1116446470');
    expect(event.salt_id).toBeUndefined();
    expect(reasons).toContain('privacy.user_data_hashed');
  });

  it('google/full: Google normalization, address in clear', async () => {
    const { event, reasons } = await minimize(piiEvent(), opts({ flavor: 'google' }));
    expect(event.hashed_user).toEqual({
      em: sha256('jane.doe@example.com'),
      ph: sha256('+16505551212'),
      fn: sha256('jane'),
      ln: sha256('doesmith'),
      ct: 'new york',
      st: 'ny',
      zp: '10001',
      country: 'US',
    });
    expect(event.client.fbp).toBeUndefined();
    expect(event.client.fbc).toBeUndefined();
    expect(event.client.client_id).toBe('1234567890.1700000000');
    expect(reasons).toEqual(
      expect.arrayContaining(['privacy.not_used_by_vendor:gender', 'privacy.not_used_by_vendor:date_of_birth', 'privacy.vendor_ids_removed']),
    );
  });

  it('uses the geo country, then the configured default, to read a phone without a country', async () => {
    const base = piiEvent();
    const user = { phone: '030 1234567' };
    const byGeo = await minimize({ ...base, user, geo: { country: 'DE' } }, opts());
    expect(byGeo.event.hashed_user).toEqual({ ph: sha256('49301234567') });
    const withDefault = privacyConfigSchema.parse({ default_country: 'de' });
    const byDefault = await minimize({ ...base, user, geo: undefined }, opts({ global: withDefault }));
    expect(byDefault.event.hashed_user).toEqual({ ph: sha256('49301234567') });
    const none = await minimize({ ...base, user, geo: undefined }, opts());
    expect(none.event.hashed_user).toBeUndefined();
    expect(none.reasons).toContain('privacy.invalid_phone:phone');
  });

  it('warehouse/full: HMAC pseudonyms with the salt, salt_id recorded, vendor ids removed', async () => {
    const { event, reasons } = await minimize(piiEvent(), opts({ flavor: 'warehouse' }));
    expect(event.client.client_id).toBe(hmac(SALT, '1234567890.1700000000'));
    expect(event.user).toEqual({ user_id: hmac(SALT, 'u-123') });
    expect(event.hashed_user?.em).toBe(hmac(SALT, sha256('jane.doe@example.com')));
    expect(event.hashed_user?.ph).toBe(hmac(SALT, sha256('16505551212')));
    expect(Object.keys(event.hashed_user ?? {})).toHaveLength(11);
    expect(event.salt_id).toBe('s1');
    expect(event.client.fbp).toBeUndefined();
    expect(event.client.fbc).toBeUndefined();
    expect(reasons).toEqual(expect.arrayContaining(['privacy.user_data_pseudonymized', 'privacy.ids_pseudonymized', 'privacy.vendor_ids_removed']));
  });

  it('warehouse: a clear email and its pre-hashed SHA-256 give the same pseudonym', async () => {
    const clear = await minimize(piiEvent({ user: { email: 'Jane.Doe@example.com' } }), opts({ flavor: 'warehouse' }));
    const pre = await minimize(piiEvent({ user: { email: sha256('jane.doe@example.com') } }), opts({ flavor: 'warehouse' }));
    expect(clear.event.hashed_user?.em).toBe(pre.event.hashed_user?.em);
  });

  it('warehouse: another salt gives other pseudonyms and another salt_id', async () => {
    const rotated = privacyConfigSchema.parse({ pseudonymization: { salt: 'another-salt-9876543210', salt_id: 's2' } });
    const a = await minimize(piiEvent(), opts({ flavor: 'warehouse' }));
    const b = await minimize(piiEvent(), opts({ flavor: 'warehouse', global: rotated }));
    expect(b.event.client.client_id).not.toBe(a.event.client.client_id);
    expect(b.event.salt_id).toBe('s2');
  });

  it.each(['meta', 'google'] as const)('%s/anonymize: no user data, no ids, IP truncated, UA reduced', async (flavor) => {
    const { event, reasons } = await minimize(piiEvent(), opts({ flavor, action: 'anonymize' }));
    expect(event.user).toEqual({});
    expect(event.hashed_user).toBeUndefined();
    expect(event.client).toEqual({ session_start: true });
    expect(event.request.ip).toBe('203.0.113.0');
    expect(event.request.user_agent).toBe('Chrome/120 (Windows)');
    expect(event.campaign).toEqual({ source: 'newsletter', medium: 'email' });
    expect(event.geo).toEqual({ country: 'US', region: 'NY' });
    expect(event.page.url).not.toContain('gclid');
    expect(reasons).toEqual(
      expect.arrayContaining(['privacy.user_data_removed', 'privacy.client_id_removed', 'privacy.ip_truncated', 'privacy.click_ids_removed', 'privacy.url_param_removed:gclid']),
    );
  });

  it('warehouse/anonymize: client and session ids salted, no user data', async () => {
    const { event } = await minimize(piiEvent(), opts({ flavor: 'warehouse', action: 'anonymize' }));
    expect(event.user).toEqual({});
    expect(event.hashed_user).toBeUndefined();
    expect(event.client.client_id).toBe(hmac(SALT, '1234567890.1700000000'));
    expect(event.client.session_id).toBe(hmac(SALT, '1700000000'));
    expect(event.salt_id).toBe('s1');
  });

  it('anonymize never keeps a full IP but honours drop', async () => {
    const dropIp = destinationPrivacySchema.parse({ ip: 'drop' });
    expect((await minimize(piiEvent(), opts({ action: 'anonymize', privacy: dropIp }))).event.request.ip).toBeUndefined();
  });

  it.each(['meta', 'google', 'warehouse'] as const)('%s/cookieless: no user data and no persistent ids', async (flavor) => {
    const { event } = await minimize(piiEvent(), opts({ flavor, action: 'cookieless' }));
    expect(event.user).toEqual({});
    expect(event.hashed_user).toBeUndefined();
    expect(event.client.client_id).toBeUndefined();
    expect(event.client.session_id).toBeUndefined();
    expect(event.client.fbp).toBeUndefined();
    expect(event.request.ip).toBe('203.0.113.77'); // IP follows the policy (keep here)
    expect(event.salt_id).toBeUndefined();
  });
});

describe('minimize: request, URLs, params', () => {
  it('applies the destination IP policy over the default', async () => {
    const truncate = destinationPrivacySchema.parse({ ip: 'truncate' });
    expect((await minimize(piiEvent(), opts({ privacy: truncate }))).event.request.ip).toBe('203.0.113.0');
    expect((await minimize(piiEvent(), opts({ defaultIp: 'drop' }))).event.request.ip).toBeUndefined();
    const v6 = piiEvent({ request: { ...piiEvent().request, ip: '2001:db8:1:2::5' } });
    expect((await minimize(v6, opts({ defaultIp: 'truncate' }))).event.request.ip).toBe('2001:db8:1::');
  });

  it('removes cookies and identifying headers, keeps accept-language', async () => {
    const { event, reasons } = await minimize(piiEvent(), opts());
    expect(event.request.headers).toEqual({ 'accept-language': 'de-DE' });
    expect(event.request.cookies).toEqual({});
    expect(reasons).toEqual(expect.arrayContaining(['privacy.headers_removed', 'privacy.cookies_removed']));
  });

  it('user_agent reduced: Browser/major (OS), device detail removed', async () => {
    const reduced = destinationPrivacySchema.parse({ user_agent: 'reduced' });
    const { event, reasons } = await minimize(piiEvent(), opts({ privacy: reduced }));
    expect(event.request.user_agent).toBe('Chrome/120 (Windows)');
    expect(event.device).toEqual({ browser: 'Chrome', browser_version: '120', os: 'Windows' });
    expect(reasons).toContain('privacy.user_agent_reduced');
    const noDevice = await minimize(piiEvent({ device: undefined }), opts({ privacy: reduced }));
    expect(noDevice.event.request.user_agent).toBe('Chrome/120 (Windows)');
    const unknown = await minimize(piiEvent({ device: undefined, request: { ...piiEvent().request, user_agent: '???' } }), opts({ privacy: reduced }));
    expect(unknown.event.request.user_agent).toBeUndefined();
    expect(unknown.reasons).toContain('privacy.user_agent_dropped');
  });

  it('user_agent full keeps the string as received', async () => {
    const { event } = await minimize(piiEvent(), opts());
    expect(event.request.user_agent).toBe(piiEvent().request.user_agent);
  });

  it('redacts page URL, referrer, title and URL-valued params', async () => {
    const { event, reasons } = await minimize(piiEvent(), opts());
    expect(event.page.url).toBe('https://shop.example/account/%5Bredacted%5D/orders?gclid=abc123&q=boots#/confirm');
    expect(event.page.referrer).toBe('https://mail.example/inbox');
    expect(event.page.title).toBe('Order confirmation for [redacted]');
    expect(event.params.page_location).toBe('https://shop.example/checkout?step=2');
    expect(reasons).toEqual(expect.arrayContaining(['privacy.url_path_email', 'privacy.url_param_removed:phone', 'privacy.url_param_removed:token', 'privacy.title_email']));
  });

  it('mask mode and extra names come from the destination config', async () => {
    const privacy = destinationPrivacySchema.parse({ url_redaction: { params: ['q'], mode: 'mask' } });
    const { event } = await minimize(piiEvent(), opts({ privacy }));
    expect(event.page.url).toBe(
      'https://shop.example/account/%5Bredacted%5D/orders?phone=[redacted]&first_name=[redacted]&gclid=abc123&q=[redacted]#/confirm?email=[redacted]',
    );
  });

  it('drops params, user properties and item fields that carry personal data', async () => {
    const { event, reasons } = await minimize(piiEvent(), opts());
    expect(event.params).toEqual({ value: 42.5, currency: 'EUR', transaction_id: 'T-1001', page_location: 'https://shop.example/checkout?step=2' });
    expect(event.user_properties).toEqual({ plan: 'pro' });
    expect(event.items).toEqual([{ item_id: 'SKU-1', item_name: 'Shoes', price: 42.5, quantity: 1 }]);
    expect(reasons).toEqual(
      expect.arrayContaining([
        'privacy.param_value_email:contact',
        'privacy.param_value_phone:callback_phone',
        'privacy.param_removed:first_name',
        'privacy.param_value_email:owner_email',
        'privacy.item_value_email:note',
      ]),
    );
  });

  it.each<[{ allow?: string[]; deny?: string[] }, string[]]>([
    [{}, ['value', 'currency', 'transaction_id', 'page_location']],
    [{ allow: ['value', 'currency'] }, ['value', 'currency']],
    [{ deny: ['transaction_id'] }, ['value', 'currency', 'page_location']],
    [{ allow: ['page_*', 'value'], deny: ['page_location'] }, ['value']],
  ])('fields %j', async (fields, kept) => {
    const privacy = destinationPrivacySchema.parse({ fields });
    const { event, reasons } = await minimize(piiEvent(), opts({ privacy }));
    expect(Object.keys(event.params)).toEqual(kept);
    for (const name of ['value', 'currency', 'transaction_id', 'page_location'].filter((n) => !kept.includes(n))) {
      expect(reasons).toContain(`privacy.field_removed:${name}`);
    }
  });

  it('does not mutate its input', async () => {
    const input = piiEvent();
    const snapshot = structuredClone(input);
    for (const flavor of ['meta', 'google', 'warehouse'] as const) {
      for (const action of ['send', 'anonymize', 'cookieless'] as const) {
        const reduced = destinationPrivacySchema.parse({ user_agent: 'reduced', ip: 'truncate', fields: { allow: ['value'] } });
        const { event } = await minimize(input, opts({ flavor, action, privacy: reduced }));
        expect(event).not.toBe(input);
      }
    }
    expect(input).toEqual(snapshot);
  });

  it('reasons are unique', async () => {
    const { reasons } = await minimize(piiEvent(), opts());
    expect(new Set(reasons).size).toBe(reasons.length);
  });
});
