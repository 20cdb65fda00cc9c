/** Admin JWTs for tests, signed with jose. */
import { SignJWT, generateKeyPair, exportJWK, type JWK } from 'jose';

export const ADMIN_SECRET = 'test-admin-secret-that-is-32-bytes-long!';

export async function hsToken(claims: Record<string, unknown>, opts: { secret?: string; exp?: string | number; aud?: string; iss?: string } = {}) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setIssuer(opts.iss ?? 'tagrelay-admin')
    .setAudience(opts.aud ?? 'tagrelay')
    .setExpirationTime(opts.exp ?? '5m')
    .sign(new TextEncoder().encode(opts.secret ?? ADMIN_SECRET));
}

/** An ES256 key pair and its public JWKS text. */
export async function esKeys(): Promise<{ privateKey: CryptoKey; jwks: string; kid: string }> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  return { privateKey: privateKey as CryptoKey, jwks: JSON.stringify({ keys: [jwk] }), kid: 'k1' };
}

/** An unsigned token (`alg: none`), which must always be refused. */
export function noneToken(claims: Record<string, unknown>): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iss: 'tagrelay-admin', aud: 'tagrelay', exp: Math.floor(Date.now() / 1000) + 300, ...claims })}.`;
}
