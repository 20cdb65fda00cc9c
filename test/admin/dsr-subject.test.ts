import { describe, expect, it } from 'vitest';
import { parseSubject, payloadMentions } from '../../src/admin/dsr-subject.js';
import { TagrelayError } from '../../src/errors.js';

describe('parseSubject', () => {
  it.each([
    [{ user_id: ' u-1 ' }, { kind: 'user_id', value: 'u-1' }],
    [{ client_id: '123.456' }, { kind: 'client_id', value: '123.456' }],
    [{ email: 'a@b.example' }, { kind: 'email', value: 'a@b.example' }],
    [{ phone: '650 555 1212', country: 'US' }, { kind: 'phone', value: '650 555 1212', country: 'US' }],
  ])('%j → %j', (raw, subject) => {
    expect(parseSubject(raw)).toEqual(subject);
  });

  it.each([
    [{}, 'user_id|client_id|email|phone'],
    [{ client_id: 'c', phone: '1' }, 'phone'],
    [{ email: '   ' }, 'email'],
    [{ user_id: 'x'.repeat(513) }, 'user_id'],
    [{ phone: '1', country: 'USA' }, 'country'],
    [{ email: 'a@b', country: 'US' }, 'country'],
    ['user_id=u-1', undefined],
  ])('%j → 400 naming %s', (raw, field) => {
    try {
      parseSubject(raw);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(TagrelayError);
      expect((err as TagrelayError).status).toBe(400);
      expect((err as TagrelayError).field).toBe(field);
    }
  });
});

describe('payloadMentions matches identity fields only, at any depth', () => {
  const needles = new Set(['u-1', 'c-1', 'h'.repeat(64)]);
  it.each([
    [{ client_id: 'c-1', events: [] }, true],
    [{ user_id: 'u-1' }, true],
    [{ user_data: { sha256_email_address: ['h'.repeat(64)] } }, true],
    [{ data: [{ user_data: { em: ['h'.repeat(64)], ph: ['x'] } }] }, true],
    // A warehouse row: the event is JSON text in `data`.
    [{ event_id: 'e', client_id: 'other', data: JSON.stringify({ hashed_user: { em: 'h'.repeat(64) } }) }, true],
    // The same strings outside identity fields are someone's content, not the subject.
    [{ events: [{ name: 'x', params: { coupon: 'u-1', note: 'c-1' } }] }, false],
    [{ client_id: 'c-10' }, false],
    [{ data: 'u-1' }, false],
    [null, false],
  ])('%j → %s', (payload, expected) => {
    expect(payloadMentions(payload, needles)).toBe(expected);
  });
});
