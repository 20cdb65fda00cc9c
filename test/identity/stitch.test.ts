import { describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { stitchLink } from '../../src/identity/stitch.js';

const hmac = async (key: string, input: string) => createHmac('sha256', key).update(input).digest('hex');

describe('stitchLink', () => {
  it('pseudonymizes both sides with the key', async () => {
    const r = await stitchLink({ client_id: '123.456', user_id: 'u-42' }, 'k1', hmac);
    expect(r.link).toEqual({
      client_key: createHmac('sha256', 'k1').update('123.456').digest('hex'),
      user_key: createHmac('sha256', 'k1').update('u-42').digest('hex'),
    });
    expect(JSON.stringify(r)).not.toContain('u-42');
  });

  it('gives different keys for another key', async () => {
    const same = await stitchLink({ client_id: 'x', user_id: 'x' }, 'k1', hmac);
    const other = await stitchLink({ client_id: 'x', user_id: 'x' }, 'k2', hmac);
    expect(other.link!.client_key).not.toBe(same.link!.client_key);
  });

  it.each<[{ client_id?: string; user_id?: string }, string, string]>([
    [{ user_id: 'u' }, 'k', 'identity.stitch_no_client_id'],
    [{ client_id: 'c', user_id: '  ' }, 'k', 'identity.stitch_no_user_id'],
    [{ client_id: 'c' }, 'k', 'identity.stitch_no_user_id'],
    [{ client_id: 'c', user_id: 'u' }, '', 'identity.stitch_no_key'],
  ])('%j → %s', async (ids, key, reason) => {
    const r = await stitchLink(ids, key, hmac);
    expect(r).toEqual({ reason });
  });
});
