/**
 * @module The debug hub and its delivery observer for one instance, with the token key resolved once.
 */
import type { Config } from '../config/schema.js';
import type { Runtime } from '../ports.js';
import type { ActiveDestination } from '../delivery/decide.js';
import type { DeliveryObserver } from '../delivery/observer.js';
import { createDebugHub, type DebugHub } from './hub.js';
import { debugObserver } from './trace.js';
import { sensitiveStrings } from './mask.js';

/** The signing key: `debug.secret`; else derived from `admin.jwt.secret` (all instances agree); else random per process. */
async function tokenKey(config: Config, runtime: Runtime): Promise<string> {
  if (config.debug.secret) return config.debug.secret;
  if (config.admin.jwt.secret) return runtime.hash.hmacSha256Hex(config.admin.jwt.secret, 'tagrelay debug token key v1');
  return runtime.randomHex(32);
}

/** Create the hub (no sessions: nothing traced) and the observer delivery reports to. */
export function createDebug(config: Config, runtime: Runtime, destinations: readonly ActiveDestination[]): { hub: DebugHub; observer: DeliveryObserver | undefined } {
  let key: Promise<string> | undefined;
  const hub = createDebugHub({
    config: config.debug,
    hasher: runtime.hash,
    now: runtime.now,
    randomHex: runtime.randomHex,
    secret: () => (key ??= tokenKey(config, runtime)),
  });
  if (!config.debug.enabled) return { hub, observer: undefined };
  // Each destination's credentials, found again in any vendor answer or error and masked there.
  const dests = new Map(destinations.map((d) => [d.config.id, { type: d.config.type, secrets: [...sensitiveStrings(d.config)].filter((s) => !/^https?:/.test(s)) }]));
  return { hub, observer: debugObserver(hub, dests) };
}
