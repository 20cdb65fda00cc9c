/**
 * @module What `tagrelay check` warns about a clustered configuration (`store.kind: redis`).
 */
import type { Config } from '../../config/schema.js';
import { usesDevSalt } from '../../privacy/config.js';

/**
 * Warnings for a configuration run as many instances on Redis; none for the embedded store.
 *
 * @example
 * for (const w of clusterWarnings(config)) console.log(`warning: ${w}`)
 */
export function clusterWarnings(config: Config): string[] {
  if (config.store.kind !== 'redis') return [];
  const out: string[] = [];
  for (const d of config.destinations) {
    if (d.enabled && d.type === 'sqlite') {
      out.push(
        `destination '${d.id}' (sqlite) is a warehouse local to each instance: with store.kind redis every instance keeps only the events it delivered; use a postgres, clickhouse or bigquery destination for one warehouse`,
      );
    }
  }
  if (usesDevSalt(config.privacy)) out.push('privacy.pseudonymization.salt is the public development salt: set the same secret salt on every instance');
  if (!config.admin.jwt.secret && !config.admin.jwt.jwks && !config.admin.jwt.jwks_url) out.push('admin.jwt has no key: the admin API is closed on every instance');
  return out;
}
