/**
 * @module `tagrelay admin token --scopes … --ttl 8h [--sub NAME]`: mint an HS256 admin JWT with the
 * configured `admin.jwt.secret` (issuer and audience from config), for the console and the admin API.
 */
import type { Config } from '../../config/schema.js';
import { parseDuration } from '../../config/duration.js';

/** Scopes a token may carry (src/admin/auth.ts). */
const SCOPES = ['dsr:read', 'dsr:write', 'dlq:read', 'dlq:write', 'debug:read', 'metrics:read', 'reports:read'];
const MAX_TTL = 30 * 86_400_000;

/** The token, or a one-line problem for the operator. */
export async function mintAdminToken(config: Config, opts: { scopes?: string; ttl?: string; sub?: string; now?: number }): Promise<{ token: string; expiresAt: number } | { problem: string }> {
  const secret = config.admin.jwt.secret;
  if (!secret) return { problem: 'admin token needs admin.jwt.secret in the config (HS256); with a JWKS, tokens come from your identity provider' };
  const scopes = (opts.scopes ?? '').split(/[,\s]+/).filter(Boolean);
  if (scopes.length === 0) return { problem: `admin token needs --scopes (any of ${SCOPES.join(', ')})` };
  const unknown = scopes.filter((s) => !SCOPES.includes(s));
  if (unknown.length > 0) return { problem: `unknown scope(s) ${unknown.join(', ')}; known: ${SCOPES.join(', ')}` };
  const ttl = parseDuration(opts.ttl ?? '8h');
  if (ttl === undefined || ttl <= 0 || ttl > MAX_TTL) return { problem: '--ttl expects a duration up to 30d, e.g. 15m, 8h' };
  const now = opts.now ?? Date.now();
  const expiresAt = Math.floor((now + ttl) / 1000) * 1000;
  const { SignJWT } = await import('../../jose.js');
  const token = await new SignJWT({ scope: [...new Set(scopes)].join(' ') })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(config.admin.jwt.issuer)
    .setAudience(config.admin.jwt.audience)
    .setSubject(opts.sub ?? 'tagrelay-cli')
    .setIssuedAt(Math.floor(now / 1000))
    .setExpirationTime(expiresAt / 1000)
    .sign(new TextEncoder().encode(secret));
  return { token, expiresAt };
}
