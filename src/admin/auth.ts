/**
 * @module Admin authentication: JWTs verified with jose (HS256 secret or ES256/RS256 JWKS), scopes checked.
 */
import type { JWTPayload, JWTVerifyGetKey } from 'jose';
import type { MiddlewareHandler } from 'hono';
import type { AdminConfig } from './config.js';
import { TagrelayError } from '../errors.js';

/** Scopes the admin API knows. */
export type Scope = 'dsr:read' | 'dsr:write' | 'dlq:read' | 'dlq:write' | 'debug:read' | 'metrics:read' | 'reports:read';

/** Verifies a bearer token and returns its claims, or throws a 401 TagrelayError. */
export type Verifier = (token: string) => Promise<JWTPayload>;

type Verify = (token: string) => Promise<{ payload: JWTPayload }>;
type JwksInput = Parameters<typeof import('../jose.js').createLocalJWKSet>[0];

/**
 * Build the verifier from config. Algorithms are pinned per key kind, so `alg: none` and
 * HS/RS confusion are refused by jose before any signature check. jose itself is imported on the
 * first admin request, not at start: most servers never see one.
 */
export function createVerifier(config: AdminConfig, fetchImpl?: typeof fetch): Verifier | undefined {
  const { jwt } = config;
  const options = { issuer: jwt.issuer, audience: jwt.audience, clockTolerance: jwt.clock_tolerance_s, requiredClaims: ['exp'] };
  let load: () => Promise<Verify>;
  if (jwt.secret) {
    const key = new TextEncoder().encode(jwt.secret);
    load = async () => {
      const { jwtVerify } = await import('../jose.js');
      return (token) => jwtVerify(token, key, { ...options, algorithms: ['HS256'] });
    };
  } else if (jwt.jwks || jwt.jwks_url) {
    // Read now, so a malformed key set still fails at start; jose builds it on first use.
    const jwks = jwt.jwks ? (JSON.parse(jwt.jwks) as JwksInput | null) : undefined;
    if (jwt.jwks && !Array.isArray(jwks?.keys)) {
      throw new TagrelayError('ERR_CONFIG', 'admin.jwt.jwks is not a JSON Web Key Set ({"keys": [...]})', { field: 'admin.jwt.jwks' });
    }
    load = async () => {
      const { createLocalJWKSet, createRemoteJWKSet, customFetch, jwtVerify } = await import('../jose.js');
      const getKey: JWTVerifyGetKey = jwks
        ? createLocalJWKSet(jwks)
        : createRemoteJWKSet(new URL(jwt.jwks_url!), fetchImpl ? { [customFetch]: fetchImpl as never } : undefined);
      return (token) => jwtVerify(token, getKey, { ...options, algorithms: ['ES256', 'RS256'] });
    };
  } else {
    return undefined;
  }
  let loading: Promise<Verify> | undefined;
  return async (token) => {
    try {
      const verify = await (loading ??= load());
      return (await verify(token)).payload;
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'ERR_JWT_INVALID';
      // jose's codes (ERR_JWT_EXPIRED, ERR_JWT_CLAIM_VALIDATION_FAILED, …) are safe to show; the token is not.
      throw new TagrelayError('ERR_UNAUTHORIZED', `invalid token (${code})`, { cause: err });
    }
  };
}

/** The scopes a token grants: OAuth `scope` (space-separated) or `scp` (array). */
export function scopesOf(claims: JWTPayload): Set<string> {
  const out = new Set<string>();
  if (typeof claims.scope === 'string') for (const s of claims.scope.split(' ')) if (s) out.add(s);
  if (Array.isArray(claims.scp)) for (const s of claims.scp) if (typeof s === 'string') out.add(s);
  return out;
}

/**
 * Middleware: 401 without a valid bearer token, 403 without the scope. With no key configured the
 * admin API is closed (401) — there is no unauthenticated admin access, not even in dev mode.
 */
export function requireScope(verifier: Verifier | undefined, scope: Scope): MiddlewareHandler {
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const m = /^Bearer\s+([A-Za-z0-9._~+/=-]+)$/.exec(header);
    if (!m) throw new TagrelayError('ERR_UNAUTHORIZED', 'a bearer token is required');
    if (!verifier) throw new TagrelayError('ERR_UNAUTHORIZED', 'admin authentication is not configured');
    const claims = await verifier(m[1]!);
    if (!scopesOf(claims).has(scope)) throw new TagrelayError('ERR_FORBIDDEN', `the token lacks scope ${scope}`);
    c.set('adminSubject' as never, (claims.sub ?? 'unknown') as never);
    await next();
  };
}
