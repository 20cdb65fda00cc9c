import { describe, expect, it } from 'vitest';
import { detectBot } from '../../src/enrich/bots.js';
import { enrichConfigSchema } from '../../src/enrich/config.js';
import { UA } from './ua-fixtures.js';

const bots = enrichConfigSchema.parse({}).bots;

describe('detectBot', () => {
  it.each<[keyof typeof UA, string]>([
    ['googlebot', 'bot.ua_pattern:googlebot'],
    ['googlebotSmartphone', 'bot.ua_pattern:googlebot'],
    ['bingbot', 'bot.ua_pattern:bingbot'],
    ['bingbotChrome', 'bot.ua_pattern:bingbot'],
    ['facebookPreview', 'bot.ua_pattern:facebook'],
    ['ahrefs', 'bot.ua_pattern:ahrefsbot'],
    ['gptbot', 'bot.ua_pattern:gptbot'],
    ['applebot', 'bot.ua_pattern:applebot'],
    ['headlessChrome', 'bot.ua_pattern:headless'],
  ])('%s is a bot', (name, reasonPrefix) => {
    const v = detectBot(UA[name], bots);
    expect(v.bot).toBe(true);
    expect(v.reason?.startsWith(reasonPrefix)).toBe(true);
    expect(v.reason!.length).toBeLessThanOrEqual('bot.ua_pattern:'.length + 40);
  });

  it.each([
    'chromeWindows', 'chromeMac', 'chromeAndroidReduced', 'safariIphone', 'safariIpad', 'firefoxWindows', 'firefoxLinux', 'edgeWindows', 'samsungInternet',
  ] as const)('%s is a browser', (name) => {
    expect(detectBot(UA[name], bots)).toEqual({ bot: false });
  });

  it('HTTP libraries are back-end senders by default, and bots when server_clients is emptied', () => {
    expect(detectBot(UA.curl, bots)).toEqual({ bot: false });
    expect(detectBot(UA.pythonRequests, bots)).toEqual({ bot: false });
    expect(detectBot('node', bots)).toEqual({ bot: false });
    const strict = enrichConfigSchema.parse({ bots: { server_clients: [] } }).bots;
    expect(detectBot(UA.curl, strict).reason).toMatch(/^bot\.ua_pattern:curl/);
    expect(detectBot(UA.pythonRequests, strict).reason).toMatch(/^bot\.ua_pattern:python-requests/);
    // a crawler is still a crawler
    expect(detectBot(UA.googlebot, bots).bot).toBe(true);
  });

  it('applies extra patterns with their index', () => {
    const config = enrichConfigSchema.parse({ bots: { extra_patterns: ['uptime-kuma', 'InternalProbe/\\d+'] } }).bots;
    expect(detectBot('Mozilla/5.0 InternalProbe/3', config)).toEqual({ bot: true, reason: 'bot.extra_pattern:1' });
    expect(detectBot('Uptime-Kuma/1.23', config).bot).toBe(true);
    expect(detectBot(UA.safariIphone, config)).toEqual({ bot: false });
  });

  it.each<[string | undefined]>([[undefined], [''], ['   ']])('empty UA %j is a bot only when configured', (ua) => {
    expect(detectBot(ua, bots)).toEqual({ bot: false });
    const strict = enrichConfigSchema.parse({ bots: { empty_user_agent: true } }).bots;
    expect(detectBot(ua, strict)).toEqual({ bot: true, reason: 'bot.empty_user_agent' });
  });

  it('rejects an invalid extra pattern in config', () => {
    expect(enrichConfigSchema.safeParse({ bots: { extra_patterns: ['(unclosed'] } }).success).toBe(false);
  });
});
