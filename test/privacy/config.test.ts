import { describe, expect, it } from 'vitest';
import { DEV_SALT, destinationPrivacySchema, privacyConfigSchema, usesDevSalt } from '../../src/privacy/config.js';
import { parseConfig } from '../../src/config/load.js';

describe('privacy config', () => {
  it('defaults: dev salt (flagged unsafe), no default country', () => {
    const c = privacyConfigSchema.parse(undefined);
    expect(c).toEqual({ pseudonymization: { salt: DEV_SALT, salt_id: 'dev' } });
    expect(usesDevSalt(c)).toBe(true);
  });

  it('destination defaults: drop-mode URL redaction, no field lists, full UA', () => {
    expect(destinationPrivacySchema.parse(undefined)).toEqual({
      url_redaction: { params: [], mode: 'drop' },
      fields: {},
      user_agent: 'full',
    });
  });

  it('reads the salt from ${TAGRELAY_SALT} in a config file', () => {
    const yaml = 'privacy:\n  pseudonymization:\n    salt: ${TAGRELAY_SALT}\n    salt_id: "2025-01"\n  default_country: de\n';
    const config = parseConfig(yaml, 'test.yaml', { TAGRELAY_SALT: 'a-real-secret-of-32-characters!!' });
    expect(config.privacy.pseudonymization).toEqual({ salt: 'a-real-secret-of-32-characters!!', salt_id: '2025-01' });
    expect(config.privacy.default_country).toBe('DE');
    expect(usesDevSalt(config.privacy)).toBe(false);
  });

  it.each([
    [{ pseudonymization: { salt: 'short' } }, 'pseudonymization.salt'],
    [{ pseudonymization: { salt_id: 'has space' } }, 'pseudonymization.salt_id'],
    [{ default_country: 'Germany' }, 'default_country'],
  ])('rejects %j at %s', (input, path) => {
    const r = privacyConfigSchema.safeParse(input);
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join('.'))).toContain(path);
  });

  it('rejects unknown UA and URL modes', () => {
    expect(destinationPrivacySchema.safeParse({ user_agent: 'minimal' }).success).toBe(false);
    expect(destinationPrivacySchema.safeParse({ url_redaction: { mode: 'hash' } }).success).toBe(false);
  });
});
