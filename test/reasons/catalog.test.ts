import { describe, expect, it } from 'vitest';
import { REASON_AREAS, REASON_CODES, REASON_PREFIXES, describeReason, explainReason, isKnownReason, parseReason } from '../../src/reasons/catalog.js';
import { DELIVERY_ERRORS, GAVE_UP_MARKER } from '../../src/reasons/delivery.js';
import { describeReason as consentDescribe } from '../../src/consent/explain.js';
import { AREA, scanDirectory, scanSource } from './scan.js';

const SRC = new URL('../../src/', import.meta.url).pathname;
// The catalog itself is excluded: its keys are what is checked, not what is emitted.
const emitted = scanDirectory(SRC, ['reasons/', 'reasons\\']);
const isCode = (text: string) => new RegExp(`^${AREA}\\.[a-z0-9_]+(:|$)`).test(text);

describe('the source scanner', () => {
  // A new code without words lands in `codes` or `prefixes` here, and the checks below then fail for it.
  const sample = [
    "/** @example 'privacy.in_comment' */",
    "// const x = 'bot.in_line_comment'",
    "const a = 'privacy.brand_new_code';",
    'const b = `identity.with_arg:${x}`;',
    'const c = `ga4.http_${status}: ${body}`;',
    "const d = 'consent.receipts.signing_key';",
    "const e = 'identity.cookie_domain is not a domain name';",
    "const f = `INSERT INTO t SELECT 'retention.new_expiry', x FROM o WHERE ${w}`;",
    'const g = { error: `timeout after ${ms}ms` };',
    'const h = `ga4.${res.error}`;',
    "const table = { 'ga4.table_key': () => 'words', 'ga4.http_': { part } };",
  ].join('\n');
  const found = scanSource(sample);

  it('finds codes in strings, template heads and quoted SQL, and nothing in comments, config paths or messages', () => {
    expect([...found.codes].sort()).toEqual(['identity.with_arg', 'privacy.brand_new_code', 'retention.new_expiry']);
    expect([...found.prefixes]).toEqual(['ga4.http_']);
    expect(found.errors).toEqual(['timeout after ']);
  });

  it('a code nobody described is reported unknown (so the checks on src/ would fail for it)', () => {
    expect(isKnownReason('privacy.brand_new_code')).toBe(false);
    expect(isKnownReason('identity.with_arg:1')).toBe(false);
  });

  it('reads enough of src/ to mean something', () => {
    // An area without codes (the sqlite warehouse writes none) has nothing to find.
    for (const area of Object.keys(REASON_AREAS).filter((a) => Object.keys(REASON_AREAS[a]!).length > 0)) expect([...emitted.codes].some((c) => c.startsWith(`${area}.`)), area).toBe(true);
    expect(emitted.codes.size).toBeGreaterThan(100);
  });
});

describe('the catalog against src/', () => {
  it('every code src/ emits has words', () => {
    expect([...emitted.codes].filter((c) => !isKnownReason(c))).toEqual([]);
  });

  it('every code completed at run time (`consent.explicit_${v}`, `ga4.http_${status}`) has words', () => {
    const covered = (p: string) => REASON_PREFIXES.includes(p) || REASON_CODES.some((k) => k.startsWith(p));
    expect(emitted.prefixes.size).toBeGreaterThan(3);
    expect([...emitted.prefixes].filter((p) => !covered(p))).toEqual([]);
  });

  it('every delivery error written to an `error:` field is a code or a known delivery error', () => {
    const free = emitted.errors.filter((e) => e !== '' && !isCode(e));
    expect(free.length).toBeGreaterThan(2);
    expect(free.filter((e) => !DELIVERY_ERRORS.some((d) => e.startsWith(d.marker)))).toEqual([]);
  });

  it('has no stale entries: every described code, prefix and delivery error is still emitted', () => {
    const live = (k: string) => emitted.codes.has(k) || [...emitted.prefixes].some((p) => k.startsWith(p));
    expect(REASON_CODES.filter((k) => !live(k))).toEqual([]);
    expect(REASON_PREFIXES.filter((p) => !emitted.prefixes.has(p))).toEqual([]);
    expect(DELIVERY_ERRORS.filter((d) => !emitted.texts.some((t) => t.startsWith(d.marker))).map((d) => d.id)).toEqual([]);
    expect(emitted.texts.some((t) => t.startsWith(GAVE_UP_MARKER))).toBe(true);
  });

  it('each area holds only its own codes, each described as a sentence', () => {
    for (const [area, table] of Object.entries(REASON_AREAS)) {
      for (const [code, describe] of Object.entries(table)) {
        expect(code.startsWith(`${area}.`), code).toBe(true);
        for (const arg of ['', 'x']) expect(describe(arg), code).toMatch(/^\S.{20,}[.)]$/s);
      }
    }
  });
});

describe('describeReason', () => {
  it.each([
    ['privacy.ip_truncated', /IPv4 to \/24, IPv6 to \/48/],
    ['privacy.invalid_email:email', /^The email address could not be read as an email address/],
    ['privacy.invalid_phone:phone', /^The phone number could not be read/],
    ['privacy.param_removed:email_hash', /"email_hash"/],
    ['privacy.url_param_masked:token', /"token".*\[redacted\]/],
    ['privacy.user_data_removed', /GDPR Art\. 6\(1\)\(a\)/],
    ['identity.storage_denied', /ePrivacy Art\. 5\(3\)/],
    ['bot.ua_pattern:googlebot', /\(googlebot\)/],
    ['bot.extra_pattern:2', /number 2/],
    ['ga4.too_many_params:coupon', /25 parameters, so the parameter "coupon"/],
    ['ga4.event_too_old', /72 hours/],
    ['meta.event_too_old', /7 days/],
    ['privacy.user_id_pii', /email address or phone number.*user_id/],
    ['consent.gpc_opt_out', /§ 1798\.120/],
    ['ga4.http_429: rate limited', /HTTP 429.*Retry-After/],
    ['ga4.http_503: {}', /temporary failure/],
    ['ga4.http_400: {"error":"bad"}', /permanent error/],
    ['meta.http_400 OAuthException code=190: Invalid OAuth access token', /code 190/],
    ['ga4.validation:NAME_INVALID events[0].name: Event name is invalid', /\(NAME_INVALID\)/],
    ['meta.timeout after 10000ms', /^Meta did not answer/],
    ['ga4.network error: ECONNREFUSED', /^Google Analytics could not be reached/],
    ['send threw: boom', /failed unexpectedly/],
    ['no result from send', /did not report an outcome/],
    ['meta.http_503: x (gave up after 10 attempts)', /temporary failure.*gave up after 10 attempts/],
    ['meta.split_budget_exhausted: meta.http_400 GraphError code=100: bad', /ran out of extra requests/],
    ['postgres.sqlstate_23505: duplicate key', /SQLSTATE 23505 .*not retried/],
    ['postgres.sqlstate_40P01: deadlock detected', /SQLSTATE 40P01, a temporary failure/],
  ])('%s', (code, pattern) => {
    expect(isKnownReason(code)).toBe(true);
    expect(describeReason(code)).toMatch(pattern);
  });

  it('never repeats vendor text or unsafe argument characters', () => {
    expect(describeReason('ga4.validation:NAME_INVALID events[0].name: secret@example.com')).not.toContain('example.com');
    expect(describeReason('meta.http_400: {"email":"a@b.co"}')).not.toContain('a@b.co');
    expect(describeReason('privacy.param_removed:<img src=x>')).toContain('"_img_src_x_"');
  });

  it.each(['privacy.nope', 'retention.outbox_expired', 'ga4.http_4000', 'ga4.http_abc', 'postgres.sqlstate_4000', 'timeout', 'hello world', ''])('unknown: %j', (code) => {
    expect(isKnownReason(code)).toBe(false);
    expect(describeReason(code)).toMatch(/^Unrecognised reason code "/);
  });

  it('the consent module delegates to the catalog', () => {
    expect(consentDescribe('privacy.ip_dropped')).toBe(describeReason('privacy.ip_dropped'));
    expect(explainReason('identity.client_id_new')).toEqual({ code: 'identity.client_id_new', explanation: describeReason('identity.client_id_new') });
  });
});

describe('parseReason', () => {
  it.each([
    ['consent.tcf_purpose_missing:7', { base: 'consent.tcf_purpose_missing', arg: '7', detail: '' }],
    ['privacy.param_removed:my key', { base: 'privacy.param_removed', arg: 'my key', detail: '' }],
    ['ga4.http_400: {"x":1}', { base: 'ga4.http_400', arg: '', detail: '{"x":1}' }],
    ['meta.http_400 OAuthException code=190: no', { base: 'meta.http_400', arg: '', detail: 'OAuthException code=190: no' }],
    ['ga4.validation:VALUE_INVALID events[0]: d', { base: 'ga4.validation', arg: 'VALUE_INVALID', detail: 'events[0]: d' }],
  ])('%s', (text, parsed) => {
    expect(parseReason(text)).toEqual(parsed);
  });

  it('is undefined for text that does not start with a code', () => {
    expect(parseReason('send threw: x')).toBeUndefined();
  });
});
