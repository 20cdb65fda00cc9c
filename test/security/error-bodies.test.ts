/**
 * Error bodies never echo what was sent: a 400 names the field and the rule, and an unknown key or a
 * user-supplied record key is masked as ****. A consent or data-subject body may carry an email address
 * where a key or value belongs; it must not come back in the answer (nor reach a log that stores answers).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseWith, TagrelayError } from '../../src/errors.js';
import { testApp } from '../helpers/runtime.js';
import { ADMIN_SECRET, hsToken } from '../helpers/tokens.js';

const PII = 'ada.lovelace@example.com';

const { app } = testApp({ dev_mode: false, admin: { jwt: { secret: ADMIN_SECRET } } });
afterAll(() => app.services.close());

type Problem = { error: { code: string; message: string; field?: string } };

/** Send, expect a 400 ERR_INVALID_BODY whose text holds no trace of the PII; the parsed error. */
async function refused(res: Response): Promise<Problem['error']> {
  expect(res.status).toBe(400);
  const text = await res.text();
  expect(text.toLowerCase()).not.toContain('lovelace');
  const { error } = JSON.parse(text) as Problem;
  expect(error.code).toBe('ERR_INVALID_BODY');
  return error;
}

const json = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const asAdmin = async (scope: string, init: RequestInit = {}) => ({
  ...init,
  headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${await hsToken({ scope, sub: 'dpo' })}` },
});

describe('POST /v1/consent: 400s name the field and the rule, never the value or an unknown key', () => {
  it.each([
    ['an email as a purpose', { consent: { [PII]: 'granted' } }, 'consent', /unknown key \*\*\*\*/],
    ['an email as a consent value', { consent: { analytics_storage: PII } }, 'consent.analytics_storage', /expected one of "granted", "denied"/],
    ['an email as an unknown top-level key', { consent: { analytics_storage: 'granted' }, [PII]: true }, undefined, /unknown key \*\*\*\*/],
    ['an email as the client id', { consent: { analytics_storage: 'granted' }, client_id: PII }, 'client_id', /must match/],
    ['a name as the source', { consent: { analytics_storage: 'granted' }, source: 'Ada Lovelace' }, 'source', /must match/],
    ['a number where a purpose map belongs', { consent: 5 }, 'consent', /expected (object|record)/],
  ])('%s', async (_name, body, field, rule) => {
    const error = await refused(await app.request('/v1/consent', json(body)));
    expect(error.field).toBe(field);
    expect(error.message).toMatch(rule);
    if (field) expect(error.message.startsWith(`${field}: `)).toBe(true);
  });
});

describe('POST /v1/events: a rejected event names the field, never a key that is personal data', () => {
  it.each([
    ['an email as a consent key', { consent: { [PII]: 5 } }, 'consent.****'],
    ['an email as a param name', { params: { [PII]: { nested: true } } }, 'params.****'],
    ['an email as an item field', { params: { items: [{ item_id: 'A', [PII]: { x: 1 } }] } }, 'params.items[0].****'],
  ])('%s', async (_name, extra, field) => {
    const res = await app.request('/v1/events', json({ name: 'add_to_cart', ...extra }));
    expect(res.status).toBe(202);
    const text = await res.text();
    expect(text.toLowerCase()).not.toContain('lovelace');
    const { rejected } = JSON.parse(text) as { rejected: { field: string; code: string }[] };
    expect(rejected.map((r) => r.field)).toEqual([field]);
  });
});

describe('admin and data-subject routes: the same for bodies and queries', () => {
  it('POST /admin/v1/erasure with an unknown key that is an email address', async () => {
    const error = await refused(await app.request('/admin/v1/erasure', await asAdmin('dsr:write', json({ user_id: 'u-1', [PII]: 'x' }))));
    expect(error.message).toMatch(/unknown key \*\*\*\*/);
  });

  it('GET /admin/v1/export with an unknown query key that is an email address', async () => {
    const error = await refused(await app.request(`/admin/v1/export?user_id=u-1&${encodeURIComponent(PII)}=1`, await asAdmin('dsr:read')));
    expect(error.message).toMatch(/unknown key \*\*\*\*/);
  });

  it('GET /admin/v1/export with a malformed country next to a phone number', async () => {
    const error = await refused(await app.request(`/admin/v1/export?phone=${encodeURIComponent('+1 650 555 1212')}&country=lovelace`, await asAdmin('dsr:read')));
    expect(error).toMatchObject({ field: 'country', message: 'country: expected a 2-letter ISO 3166-1 country code' });
  });

  it('POST /admin/v1/dead-letter/replay with an email among the ids, and as an unknown key', async () => {
    const a = await refused(await app.request('/admin/v1/dead-letter/replay', await asAdmin('dlq:write', json({ ids: [PII] }))));
    expect(a.message).toMatch(/accepted forms|expected number/);
    await refused(await app.request('/admin/v1/dead-letter/replay', await asAdmin('dlq:write', json({ [PII]: [1] }))));
  });
});

describe('parseWith masks path segments the schema does not declare', () => {
  const problem = (schema: z.ZodType, raw: unknown) => {
    try {
      parseWith(schema, raw);
    } catch (err) {
      return err as TagrelayError;
    }
    throw new Error('expected a TagrelayError');
  };

  it.each([
    ['a free record key', z.record(z.string(), z.number()), { [PII]: 'x' }, '****', 'expected number'],
    ['a record key failing its key rule', z.record(z.string().regex(/^k/), z.number()), { [PII]: 1 }, '****', 'invalid key'],
    ['an array index and a declared key', z.object({ list: z.array(z.object({ n: z.number().max(3) })) }), { list: [{ n: 1 }, { n: 9 }] }, 'list.1.n', 'at most 3'],
    ['an enum-keyed record keeps its (declared) key', z.record(z.enum(['a', 'b']), z.number()), { a: 1, b: PII }, 'b', 'expected number'],
    ['a string that is too long', z.object({ s: z.string().max(3) }), { s: PII }, 's', 'at most 3 characters'],
  ])('%s', (_name, schema, raw, field, rule) => {
    const err = problem(schema, raw);
    expect(err.field).toBe(field);
    expect(err.message).toContain(rule);
    expect(JSON.stringify(err.toBody())).not.toContain('lovelace');
  });

  it('keeps a message the schema author wrote', () => {
    const err = problem(z.object({ id: z.string().min(1, 'must not be empty') }), { id: '' });
    expect(err.message).toBe('id: must not be empty');
  });
});
