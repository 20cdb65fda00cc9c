import { describe, expect, it } from 'vitest';
import type { CampaignInfo } from '../../src/event.js';
import { campaignFrom } from '../../src/enrich/campaign.js';
import { enrichConfigSchema } from '../../src/enrich/config.js';

const config = enrichConfigSchema.parse({}).campaign;
const PAGE = 'https://www.example.com/landing';

describe('campaignFrom: channel', () => {
  it.each<[string, string | undefined, string | undefined, CampaignInfo]>([
    ['direct', PAGE, undefined, { channel: 'direct', source: '(direct)', medium: '(none)' }],
    ['organic Google', PAGE, 'https://www.google.com/', { channel: 'organic_search', source: 'google', medium: 'organic' }],
    ['organic Google UK', PAGE, 'https://www.google.co.uk/', { channel: 'organic_search', source: 'google' }],
    ['organic Bing', PAGE, 'https://www.bing.com/search?q=x', { channel: 'organic_search', source: 'bing' }],
    ['organic DuckDuckGo', PAGE, 'https://duckduckgo.com/', { channel: 'organic_search', source: 'duckduckgo' }],
    ['organic Brave Search', PAGE, 'https://search.brave.com/search?q=x', { channel: 'organic_search', source: 'brave' }],
    ['social Facebook', PAGE, 'https://l.facebook.com/', { channel: 'social', source: 'l.facebook.com', medium: 'referral' }],
    ['social t.co', PAGE, 'https://t.co/abc', { channel: 'social', source: 't.co' }],
    ['social LinkedIn', PAGE, 'https://www.linkedin.com/feed/', { channel: 'social', source: 'linkedin.com' }],
    ['webmail', PAGE, 'https://mail.google.com/', { channel: 'email', source: 'mail.google.com', medium: 'email' }],
    ['referral', PAGE, 'https://news.ycombinator.com/item?id=1', { channel: 'referral', source: 'news.ycombinator.com', medium: 'referral' }],
    ['internal same host', PAGE, 'https://www.example.com/other', { channel: 'internal' }],
    ['internal other subdomain', PAGE, 'https://shop.example.com/cart', { channel: 'internal' }],
    ['internal on a .co.uk site', 'https://www.example.co.uk/', 'https://blog.example.co.uk/', { channel: 'internal' }],
    ['not internal: other site under the same suffix', 'https://www.example.co.uk/', 'https://www.other.co.uk/', { channel: 'referral' }],
    ['utm cpc', `${PAGE}?utm_source=google&utm_medium=cpc&utm_campaign=spring`, undefined, { channel: 'paid', source: 'google', medium: 'cpc', campaign: 'spring' }],
    ['utm ppc', `${PAGE}?utm_source=x&utm_medium=ppc`, 'https://www.google.com/', { channel: 'paid' }],
    ['utm paid_social', `${PAGE}?utm_source=fb&utm_medium=paid_social`, undefined, { channel: 'paid' }],
    ['utm email', `${PAGE}?utm_source=newsletter&utm_medium=email`, undefined, { channel: 'email', source: 'newsletter' }],
    ['utm E-Mail', `${PAGE}?utm_source=crm&utm_medium=E-Mail`, undefined, { channel: 'email' }],
    ['utm social', `${PAGE}?utm_source=linkedin&utm_medium=social`, undefined, { channel: 'social' }],
    ['utm source only: search', `${PAGE}?utm_source=bing`, undefined, { channel: 'organic_search', source: 'bing' }],
    ['utm source only: social', `${PAGE}?utm_source=instagram`, undefined, { channel: 'social' }],
    ['utm source only: other', `${PAGE}?utm_source=partner`, undefined, { channel: 'referral', source: 'partner' }],
    ['utm beats internal referrer', `${PAGE}?utm_source=nl&utm_medium=email`, 'https://www.example.com/', { channel: 'email' }],
    ['gclid', `${PAGE}?gclid=Cj0KCQjw`, 'https://www.google.com/', { channel: 'paid', source: 'google', medium: 'cpc', gclid: 'Cj0KCQjw' }],
    ['gbraid', `${PAGE}?gbraid=0AAAAA`, undefined, { channel: 'paid', gbraid: '0AAAAA' }],
    ['wbraid', `${PAGE}?wbraid=CkAB`, undefined, { channel: 'paid', wbraid: 'CkAB' }],
    ['dclid', `${PAGE}?dclid=CJX`, undefined, { channel: 'paid', dclid: 'CJX' }],
    ['msclkid', `${PAGE}?msclkid=abc123`, undefined, { channel: 'paid', source: 'bing', medium: 'cpc', msclkid: 'abc123' }],
    ['ttclid', `${PAGE}?ttclid=E.C.P.x`, undefined, { channel: 'paid', source: 'tiktok', ttclid: 'E.C.P.x' }],
    ['li_fat_id', `${PAGE}?li_fat_id=9f3c`, undefined, { channel: 'paid', source: 'linkedin', li_fat_id: '9f3c' }],
    ['click id with utm keeps utm source', `${PAGE}?gclid=a&utm_source=newsletter`, undefined, { channel: 'paid', source: 'newsletter', medium: 'cpc' }],
    ['utm email beats a click id', `${PAGE}?gclid=a&utm_medium=email`, undefined, { channel: 'email' }],
    ['fbclid alone is social', `${PAGE}?fbclid=IwAR2F4`, undefined, { channel: 'social', source: 'facebook', fbclid: 'IwAR2F4' }],
    ['fbclid from Instagram', `${PAGE}?fbclid=IwAR2F4`, 'https://l.instagram.com/', { channel: 'social', source: 'l.instagram.com' }],
    ['invalid page URL, search referrer', 'not a url', 'https://www.google.com/', { channel: 'organic_search' }],
    ['javascript: referrer ignored', PAGE, 'javascript:alert(1)', { channel: 'direct' }],
  ])('%s', (_label, pageUrl, referrer, expected) => {
    expect(campaignFrom({ pageUrl, referrer }, config)).toMatchObject(expected);
  });
});

describe('campaignFrom: parameters', () => {
  it('reads every utm parameter, decoded and trimmed', () => {
    const c = campaignFrom(
      { pageUrl: `${PAGE}?utm_source=News%20Letter&utm_medium=email&utm_campaign=spring+sale&utm_term=%20shoes%20&utm_content=hero&utm_id=42` },
      config,
    );
    expect(c).toEqual({ source: 'News Letter', medium: 'email', campaign: 'spring sale', term: 'shoes', content: 'hero', id: '42', channel: 'email' });
  });

  it('keeps click ids byte for byte', () => {
    const c = campaignFrom({ pageUrl: `${PAGE}?fbclid=AbC%2Fx-Y_z&gclid=Cj0K.Q` }, config);
    expect(c.fbclid).toBe('AbC%2Fx-Y_z');
    expect(c.gclid).toBe('Cj0K.Q');
  });

  it('caps utm values at 100 characters', () => {
    expect(campaignFrom({ pageUrl: `${PAGE}?utm_campaign=${'x'.repeat(300)}` }, config).campaign).toHaveLength(100);
  });

  it('treats configured domains as internal', () => {
    const cross = enrichConfigSchema.parse({ campaign: { internal_domains: ['example-checkout.com'] } }).campaign;
    expect(campaignFrom({ pageUrl: PAGE, referrer: 'https://pay.example-checkout.com/' }, cross).channel).toBe('internal');
    expect(campaignFrom({ pageUrl: PAGE, referrer: 'https://pay.example-checkout.com/' }, config).channel).toBe('referral');
  });
});

describe('campaignFrom: the cache of repeated URLs', () => {
  it('a repeated page URL and referrer give the same answer, and a caller changing its copy changes nothing cached', () => {
    const input = { pageUrl: 'https://shop.example.com/p/1?utm_source=news&utm_medium=email', referrer: 'https://mail.google.com/' };
    const first = campaignFrom(input, config);
    expect(first).toEqual({ source: 'news', medium: 'email', channel: 'email' });
    first.source = 'changed';
    delete first.channel;
    expect(campaignFrom(input, config)).toEqual({ source: 'news', medium: 'email', channel: 'email' });
  });

  it('each config has its own answers (internal_domains changes the channel of the same URLs)', () => {
    const input = { pageUrl: 'https://shop.example.com/', referrer: 'https://blog.example.org/post' };
    expect(campaignFrom(input, config).channel).toBe('referral');
    const internal = enrichConfigSchema.parse({ campaign: { internal_domains: ['example.org'] } }).campaign;
    expect(campaignFrom(input, internal).channel).toBe('internal');
    expect(campaignFrom(input, config).channel).toBe('referral');
  });
});
