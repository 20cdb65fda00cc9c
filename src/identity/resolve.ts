/**
 * @module Identity resolution: first-party client id, session and Meta ids for one event, and the cookies to set.
 */
import type { ClientData } from '../event.js';
import type { IdentityConfig } from './config.js';
import { cookieDomain, serializeCookie, type CookieOptions } from './cookies.js';
import {
  clientIdFromGa,
  clientIdFromServerId,
  gaCookieValue,
  isValidClientId,
  isValidFbc,
  isValidFbp,
  isValidTtp,
  newClientId,
  newFbp,
  rawQueryParam,
  resolveFbc,
  serverIdValue,
  type RandomHex,
} from './client-id.js';
import { advanceSession, formatSessionCookie, parseSessionCookie } from './session.js';

/** What {@link identify} needs from the request and the consent stage. */
export interface IdentifyInput {
  /** Parsed request cookies. */
  cookies: Record<string, string>;
  /** The `Host` the request was sent to (may carry a port). */
  host: string;
  /** The page URL, for `fbclid`. */
  pageUrl?: string;
  /** Client data from the event (gtag `cid`, `sid`, `sct`, `seg`, `_et`…). */
  client: ClientData;
  /** Epoch ms. */
  now: number;
  /** analytics_storage / ad_storage as resolved by the consent stage. */
  storage: { analytics: boolean; ads: boolean };
  randomHex: RandomHex;
  /** This event is a page view (counts toward engagement). */
  pageView?: boolean;
  /** This event is a conversion (makes the session engaged). */
  conversion?: boolean;
}

/** Outcome of {@link identify}. */
export interface IdentifyResult {
  client: ClientData;
  /** `Set-Cookie` header values for the response. */
  setCookies: string[];
  /** Machine-readable reasons, `identity.*`. */
  reasons: string[];
}

const NUMERIC_SESSION_ID = /^\d{1,12}$/;

/**
 * Resolve the visitor's first-party ids. Order for the client id: the event's own id (gtag `cid`)
 * wins, then `_ga`, then the HttpOnly server id (restores `_ga` that the browser expired), then a new
 * one (`first_visit`). Without analytics_storage nothing is read or written and the client id is
 * not persisted (`identity.storage_denied`); without ad_storage the same holds for `_fbp`/`_fbc`
 * (`identity.ad_storage_denied`). ePrivacy Art. 5(3): storing or reading ids on the device needs consent.
 *
 * @example
 * identify({ cookies: {}, host: 't.example.com', client: {}, now: Date.now(), storage: { analytics: true, ads: false }, randomHex }, config)
 */
export function identify(input: IdentifyInput, config: IdentityConfig): IdentifyResult {
  const client: ClientData = { ...input.client };
  const setCookies: string[] = [];
  const reasons: string[] = [];
  const domain = cookieDomain(input.host, config.cookie_domain, config.cookie_domains);
  const base: CookieOptions = { domain, secure: config.secure, sameSite: 'Lax' };

  if (!input.storage.analytics) {
    reasons.push('identity.storage_denied');
  } else {
    resolveClientId(input, config, client, reasons, setCookies, base);
    resolveSession(input, config, client, reasons, setCookies, base);
  }

  if (input.storage.ads) {
    // TikTok's pixel sets `_ttp`; tagrelay only reads it (ad_storage), for TikTok's copy alone.
    const ttp = isValidTtp(client.ttp) ? client.ttp : input.cookies._ttp;
    if (isValidTtp(ttp)) client.ttp = ttp;
    else delete client.ttp;
  } else delete client.ttp;

  if (!input.storage.ads) {
    reasons.push('identity.ad_storage_denied');
  } else if (config.meta.enabled) {
    const maxAgeSec = config.meta.ttl / 1000;
    const fbp = isValidFbp(client.fbp) ? client.fbp : isValidFbp(input.cookies._fbp) ? input.cookies._fbp : undefined;
    client.fbp = fbp ?? newFbp(input.now, input.randomHex);
    if (!fbp) reasons.push('identity.fbp_new');
    setCookies.push(serializeCookie('_fbp', client.fbp, { ...base, maxAgeSec }));

    const previous = isValidFbc(client.fbc) ? client.fbc : input.cookies._fbc;
    const fbc = resolveFbc(previous, rawQueryParam(input.pageUrl, 'fbclid'), input.now);
    if (fbc) {
      if (fbc !== previous) reasons.push('identity.fbc_from_fbclid');
      client.fbc = fbc;
      setCookies.push(serializeCookie('_fbc', fbc, { ...base, maxAgeSec }));
    } else {
      delete client.fbc;
    }
  }
  return { client, setCookies, reasons };
}

function resolveClientId(
  input: IdentifyInput,
  config: IdentityConfig,
  client: ClientData,
  reasons: string[],
  setCookies: string[],
  base: CookieOptions,
): void {
  const gaRaw = input.cookies[config.client_id_cookie];
  const fromGa = clientIdFromGa(gaRaw);
  const fromServer = clientIdFromServerId(input.cookies[config.server_id_cookie]);
  let clientId: string;
  if (isValidClientId(client.client_id)) {
    clientId = client.client_id;
    reasons.push('identity.client_id_from_event');
  } else {
    if (client.client_id !== undefined) reasons.push('identity.client_id_invalid');
    if (fromGa) {
      clientId = fromGa;
      reasons.push('identity.client_id_from_cookie');
    } else if (fromServer) {
      clientId = fromServer;
      reasons.push('identity.client_id_restored');
    } else {
      clientId = newClientId(input.now, input.randomHex);
      client.first_visit ??= true;
      reasons.push('identity.client_id_new');
    }
  }
  client.client_id = clientId;

  const maxAgeSec = config.client_id_ttl / 1000;
  if (config.write_client_id_cookie) {
    // Rewrite the browser's own `_ga` unchanged when it holds this id: gtag keeps reading the same value.
    const ga = fromGa === clientId ? gaRaw : gaCookieValue(clientId, base.domain);
    if (ga) setCookies.push(serializeCookie(config.client_id_cookie, ga, { ...base, maxAgeSec }));
  }
  setCookies.push(serializeCookie(config.server_id_cookie, serverIdValue(clientId), { ...base, maxAgeSec, httpOnly: true }));
}

function resolveSession(
  input: IdentifyInput,
  config: IdentityConfig,
  client: ClientData,
  reasons: string[],
  setCookies: string[],
  base: CookieOptions,
): void {
  const previous = parseSessionCookie(input.cookies[config.session_cookie]);
  const step = advanceSession(
    previous,
    { nowMs: input.now, pageView: input.pageView, conversion: input.conversion, engagementMsec: client.engagement_time_msec },
    { timeoutMs: config.session_timeout, engagedAfterMs: config.engagement_threshold },
  );
  let state = step.state;
  if (client.session_id !== undefined) {
    // gtag keeps its own session (`sid`/`sct`/`seg`): it wins, and the cookie follows it.
    reasons.push('identity.session_from_event');
    if (NUMERIC_SESSION_ID.test(client.session_id)) {
      state = {
        ...state,
        session_id: client.session_id,
        session_number: client.session_number ?? state.session_number,
        engaged: client.engaged ?? state.engaged,
      };
    }
    client.session_number ??= state.session_number;
    client.engaged ??= state.engaged;
    client.session_start ??= previous?.session_id !== client.session_id;
  } else {
    reasons.push(step.reason);
    client.session_id = state.session_id;
    client.session_number = state.session_number;
    client.session_start = step.session_start;
    client.engaged = state.engaged;
  }
  setCookies.push(
    serializeCookie(config.session_cookie, formatSessionCookie(state), { ...base, maxAgeSec: config.client_id_ttl / 1000, httpOnly: true }),
  );
}
