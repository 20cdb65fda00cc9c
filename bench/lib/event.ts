/**
 * @module The realistic event the benchmarks send: an add_to_cart with consent, page, params, items and an email.
 */

/** Request headers a browser's `fetch`/`sendBeacon` to a first-party endpoint carries. */
export const EVENT_HEADERS: Record<string, string> = {
  'content-type': 'application/json',
  origin: 'https://shop.example.com',
  'user-agent':
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'cf-ipcountry': 'DE',
  'accept-language': 'de-DE,de;q=0.9,en;q=0.8',
};

/** One native event as a browser would send it. */
export function eventObject(eventId: string): Record<string, unknown> {
  return {
    event_id: eventId,
    name: 'add_to_cart',
    client: { client_id: '1187203494.1716543210', session_id: '1716543210' },
    page: {
      url: 'https://shop.example.com/p/trail-runner-2?utm_source=newsletter&utm_medium=email',
      referrer: 'https://www.google.com/',
      title: 'Trail Runner 2 – Example Shop',
    },
    consent: { analytics_storage: 'granted', ad_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'denied' },
    user: { email: 'Jane.Doe@Example.com', user_id: 'u_48213' },
    params: {
      currency: 'EUR',
      value: 129.9,
      items: [
        { item_id: 'SKU-TR2-42-BLU', item_name: 'Trail Runner 2', item_category: 'Shoes', price: 129.9, quantity: 1 },
      ],
    },
  };
}

/** The event as the JSON body text (about 650 bytes with a 33-character id). */
export function eventBody(eventId: string): string {
  return JSON.stringify(eventObject(eventId));
}

/** Where {@link visitorTemplate} puts the request's sequence number. */
const SEQ = '{{seq}}';

/**
 * The event of a distinct visitor per request, as the body text split around the sequence number:
 * `parts.join(String(n))` is request n's body. The event_id, client id, session id, email and user id
 * all carry `run` and n, so no two requests of a run share a visitor and dedupe never short-circuits.
 * The same parts feed the wrk Lua script (concatenated per request) and the Node load generators.
 *
 * @example
 * const parts = visitorTemplate('peak')
 * const body = visitorBody(parts, 42)
 */
export function visitorTemplate(run: string): string[] {
  if (!/^[A-Za-z0-9]+$/.test(run)) throw new Error(`run label must be alphanumeric: ${run}`);
  const event = eventObject(`${run}-${SEQ}`);
  event.client = { client_id: `${SEQ}.${run}`, session_id: `${run}${SEQ}` };
  event.user = { email: `Visitor.${SEQ}.${run}@Example.com`, user_id: `u_${run}_${SEQ}` };
  return JSON.stringify(event).split(SEQ);
}

/** Request n's body from {@link visitorTemplate}'s parts. */
export function visitorBody(parts: string[], n: number): string {
  return parts.join(String(n));
}
