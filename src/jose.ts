/**
 * @module jose, the part tagrelay uses (consent receipts, admin tokens). Callers load this module with
 * `import()` on first use, so start-up does not load jose; the names are listed here so that bundlers
 * (the Worker build) keep only this part, as they did for static imports.
 */
export {
  SignJWT,
  calculateJwkThumbprint,
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  exportJWK,
  generateKeyPair,
  importJWK,
  importPKCS8,
  jwtVerify,
} from 'jose';
