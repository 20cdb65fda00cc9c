/**
 * @module The script cache: an LRU of upstream scripts with a TTL, stale-while-revalidate and stale-if-error.
 */
import { LRUCache } from 'lru-cache';
import type { FetchLike, Hasher, Logger } from '../ports.js';
import type { ScriptsConfig } from './config.js';

/** One cached script. */
export interface CachedScript {
  body: string;
  /** Strong ETag of the body (quoted). */
  etag: string;
  /** When the upstream answered, epoch ms. */
  fetchedAt: number;
}

/** How usable a cached copy is: serve it, serve it and refresh it in the background, or fetch anew. */
export type Freshness = 'fresh' | 'stale' | 'expired';

/**
 * Pure: the freshness of a copy fetched at `fetchedAt`.
 *
 * @example
 * freshness(0, 10 * 60_000, 15 * 60_000, 3_600_000) // 'fresh'
 */
export function freshness(fetchedAt: number, now: number, ttl: number, swr: number): Freshness {
  const age = now - fetchedAt;
  if (age < ttl) return 'fresh';
  return age < ttl + swr ? 'stale' : 'expired';
}

/**
 * How a request was answered: `hit` (fresh copy), `miss` (fetched now), `stale` (old copy, refresh
 * started), `stale-error` (old copy past its window, the upstream failed), or no copy with the reason code.
 */
export type ScriptLookup =
  | { ok: true; script: CachedScript; cache: 'hit' | 'miss' | 'stale' | 'stale-error' }
  | { ok: false; reason: string };

/** I/O the cache needs. */
export interface ScriptCacheDeps {
  config: ScriptsConfig;
  fetch: FetchLike;
  hash: Hasher;
  now(): number;
  waitUntil(promise: Promise<unknown>): void;
  log: Logger;
}

/** The cache behind `/gtag/js` and `/gtm.js`. */
export interface ScriptCache {
  /** The script for `key`, fetching `url` when there is no usable copy. */
  get(key: string, url: string): Promise<ScriptLookup>;
}

/** Thrown inside this module only: a reason code for a failed upstream fetch. */
class UpstreamFailure extends Error {}

/**
 * Create the cache. Concurrent misses and refreshes of one key share a single upstream request.
 *
 * @example
 * const cache = createScriptCache({ config: config.scripts, fetch: runtime.fetch, hash: runtime.hash, now: runtime.now, waitUntil: runtime.waitUntil, log: runtime.log })
 */
export function createScriptCache(deps: ScriptCacheDeps): ScriptCache {
  const { config } = deps;
  // Entries past their stale window stay until evicted: they answer when the upstream is down.
  const lru = new LRUCache<string, CachedScript>({ max: config.max_entries });
  const inflight = new Map<string, Promise<CachedScript>>();

  async function download(url: string): Promise<CachedScript> {
    let res: Response;
    try {
      res = await deps.fetch(url, { signal: AbortSignal.timeout(config.timeout), headers: { accept: 'application/javascript, */*' } });
    } catch (err) {
      throw new UpstreamFailure(err instanceof Error && err.name === 'TimeoutError' ? 'scripts.upstream_timeout' : 'scripts.upstream_unreachable');
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new UpstreamFailure(`scripts.upstream_status:${res.status}`);
    }
    const body = await res.text();
    const digest = await deps.hash.sha256Hex(body);
    return { body, etag: `"${digest.slice(0, 32)}"`, fetchedAt: deps.now() };
  }

  function refresh(key: string, url: string): Promise<CachedScript> {
    let pending = inflight.get(key);
    if (!pending) {
      pending = download(url)
        .then((script) => {
          lru.set(key, script);
          return script;
        })
        .finally(() => inflight.delete(key));
      inflight.set(key, pending);
    }
    return pending;
  }

  const reasonOf = (err: unknown) => (err instanceof UpstreamFailure ? err.message : 'scripts.upstream_unreachable');

  return {
    async get(key, url) {
      const cached = lru.get(key);
      const state = cached ? freshness(cached.fetchedAt, deps.now(), config.ttl, config.stale_while_revalidate) : undefined;
      if (cached && state === 'fresh') return { ok: true, script: cached, cache: 'hit' };
      if (cached && state === 'stale') {
        deps.waitUntil(
          refresh(key, url).catch((err) => deps.log.warn('script refresh failed; serving the stale copy', { key, reason: reasonOf(err) })),
        );
        return { ok: true, script: cached, cache: 'stale' };
      }
      try {
        return { ok: true, script: await refresh(key, url), cache: 'miss' };
      } catch (err) {
        const reason = reasonOf(err);
        deps.log.warn('script fetch failed', { key, reason, stale: Boolean(cached) });
        return cached ? { ok: true, script: cached, cache: 'stale-error' } : { ok: false, reason };
      }
    },
  };
}
