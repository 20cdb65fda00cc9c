/**
 * @module Delivery errors: the free-text failures of the outbox worker and HTTP senders, recognised by shape.
 *
 * These are not `area.code` strings: the sender writes `timeout after 10000ms` (prefixed `ga4.` or
 * `meta.` by the vendor's sender), the worker `send threw: …`. Each entry names the literal text the
 * source writes (`marker`), so the catalog test can tell when an entry no longer matches anything emitted.
 */
import { DESTINATION_REASONS } from '../destinations/index.js';

/** One recognisable delivery error. */
export interface DeliveryError {
  /** A stable id for the kind of failure. */
  id: string;
  /** Literal text the emitting code writes; the error string starts with it (after an optional vendor prefix such as `ga4.`). */
  marker: string;
  /** Words for it; `vendor` is a destination's area prefix (`ga4`, `meta`, …) or `''`. */
  describe(vendor: string): string;
}

/** Area → who answers, from the destination registry (`ga4` → `Google Analytics`). */
const VENDORS: ReadonlyMap<string, string> = new Map(DESTINATION_REASONS.map((r) => [r.area, r.vendor]));
const who = (vendor: string): string => VENDORS.get(vendor) ?? 'The destination';
/** A destination's area prefix on a delivery error (`ga4.`). */
const VENDOR_PREFIX = new RegExp(`^(${[...VENDORS.keys()].join('|')})\\.`);

/** Every delivery error shape tagrelay writes to the outbox, the delivery log and the dead-letter store. */
export const DELIVERY_ERRORS: readonly DeliveryError[] = [
  {
    id: 'delivery.timeout',
    marker: 'timeout after ',
    describe: (v) => `${who(v)} did not answer within the configured timeout (timeout_ms): the delivery is retried with backoff.`,
  },
  {
    id: 'delivery.network_error',
    marker: 'network error: ',
    describe: (v) => `${who(v)} could not be reached (network error): the delivery is retried with backoff.`,
  },
  {
    id: 'delivery.send_threw',
    marker: 'send threw: ',
    describe: () => 'The destination failed unexpectedly while sending: the delivery is retried with backoff.',
  },
  {
    id: 'delivery.no_result',
    marker: 'no result from send',
    describe: () => 'The destination did not report an outcome for this event: it is treated as a temporary failure and retried.',
  },
];

/** Suffix the worker adds when it dead-letters an item whose retries ran out. */
export const GAVE_UP_MARKER = ' (gave up after ';

const GAVE_UP = /\s\(gave up after (\d+) attempts\)$/;

/**
 * Split the worker's "gave up" suffix from an error string.
 *
 * @example
 * splitGaveUp('ga4.http_503: … (gave up after 10 attempts)') // { error: 'ga4.http_503: …', attempts: 10 }
 */
export function splitGaveUp(text: string): { error: string; attempts?: number } {
  const m = GAVE_UP.exec(text);
  return m ? { error: text.slice(0, m.index), attempts: Number(m[1]) } : { error: text };
}

/** Words for the "gave up" suffix. */
export function gaveUpWords(attempts: number): string {
  return `tagrelay gave up after ${attempts} attempts (delivery.max_attempts or delivery.max_age reached) and moved the event to the dead-letter store, from where it can be replayed.`;
}

/** The delivery error a string is, with its destination's area prefix (`ga4`, `meta`, … or `''`), or `undefined`. */
export function matchDeliveryError(text: string): { error: DeliveryError; vendor: string } | undefined {
  const m = VENDOR_PREFIX.exec(text);
  const vendor = m ? m[1]! : '';
  const rest = m ? text.slice(m[0].length) : text;
  const error = DELIVERY_ERRORS.find((e) => rest.startsWith(e.marker));
  return error ? { error, vendor } : undefined;
}
