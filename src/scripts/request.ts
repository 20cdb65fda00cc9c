/**
 * @module Which upstream script a `/gtag/js` or `/gtm.js` request asks for, or why it is refused.
 */
import type { ErrorCode } from '../errors.js';
import { GTAG_ID_PATTERN, GTM_ID_PATTERN, type ScriptsConfig } from './config.js';

/** The two scripts served first-party. */
export type ScriptKind = 'gtag' | 'gtm';

/** A request resolved to its cache key and upstream URL, or refused with an error code and a reason code. */
export type ScriptRequest =
  | { ok: true; key: string; url: string }
  | { ok: false; code: ErrorCode; reason: string; message: string };

const PATHS: Record<ScriptKind, { path: string; id: RegExp; hint: string }> = {
  gtag: { path: '/gtag/js', id: GTAG_ID_PATTERN, hint: 'a G-, AW-, DC- or GT- id' },
  gtm: { path: '/gtm.js', id: GTM_ID_PATTERN, hint: 'a GTM- container id' },
};

/** A custom dataLayer name (`l=`) must be a plain JavaScript identifier: it is written into the script. */
const DATA_LAYER_PATTERN = /^[A-Za-z_$][A-Za-z0-9_$]{0,63}$/;

/**
 * Pure: validate the query and build the upstream URL. Only `id` and `l` are forwarded, so the
 * cache key space stays bounded and nothing else from the visitor's request reaches Google.
 *
 * @example
 * resolveScriptRequest('gtag', new URLSearchParams('id=G-ABC1234'), config.scripts)
 * // { ok: true, key: 'gtag:G-ABC1234:', url: 'https://www.googletagmanager.com/gtag/js?id=G-ABC1234' }
 */
export function resolveScriptRequest(kind: ScriptKind, query: URLSearchParams, config: ScriptsConfig): ScriptRequest {
  const spec = PATHS[kind];
  const id = query.get('id') ?? '';
  if (!spec.id.test(id)) {
    return { ok: false, code: 'ERR_INVALID_QUERY', reason: 'scripts.invalid_id', message: `id must be ${spec.hint}` };
  }
  if (config.allowed_ids.length > 0 && !config.allowed_ids.includes(id)) {
    return { ok: false, code: 'ERR_FORBIDDEN', reason: 'scripts.id_not_allowed', message: 'this id is not in scripts.allowed_ids' };
  }
  const layer = query.get('l');
  if (layer !== null && !DATA_LAYER_PATTERN.test(layer)) {
    return { ok: false, code: 'ERR_INVALID_QUERY', reason: 'scripts.invalid_data_layer', message: 'l must be a JavaScript identifier' };
  }
  const url = new URL(spec.path, config.upstream);
  url.searchParams.set('id', id);
  if (layer !== null) url.searchParams.set('l', layer);
  return { ok: true, key: `${kind}:${id}:${layer ?? ''}`, url: url.href };
}
