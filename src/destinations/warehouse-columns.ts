/**
 * @module The warehouse row's report columns: facts lifted out of the JSON `data` so reports
 * (src/reports/) group and filter on indexed columns instead of parsing JSON per row.
 */
import type { Event } from '../event.js';
import type { SendAction } from './types.js';

/** Columns every warehouse row carries for reports (sqlite and postgres alike). */
export interface ReportColumns {
  /** The consent gate's action for the warehouse: `send` (full), `anonymize` or `cookieless`. */
  consent_mode: SendAction;
  device_type: string | null;
  country: string | null;
  channel: string | null;
  source: string | null;
  medium: string | null;
  campaign: string | null;
  /** `params.value`, else the items' price × quantity; null when neither is given. */
  value: number | null;
  currency: string | null;
  /** `micro` / `macro` for events a conversion rule derived. */
  kind: string | null;
  rule_id: string | null;
}

/** The names of {@link ReportColumns}, in table order. */
export const REPORT_COLUMNS = [
  'consent_mode',
  'device_type',
  'country',
  'channel',
  'source',
  'medium',
  'campaign',
  'value',
  'currency',
  'kind',
  'rule_id',
] as const satisfies readonly (keyof ReportColumns)[];

/** An event's monetary value: `params.value` when numeric, else the sum of its items' price × quantity. */
export function eventValue(event: Pick<Event, 'params' | 'items'>): number | null {
  const v = event.params.value;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  if (!event.items || event.items.length === 0) return null;
  let sum = 0;
  let any = false;
  for (const item of event.items) {
    if (typeof item.price !== 'number' || !Number.isFinite(item.price)) continue;
    const q = typeof item.quantity === 'number' && Number.isFinite(item.quantity) ? item.quantity : 1;
    sum += item.price * q;
    any = true;
  }
  return any ? Math.round(sum * 1e6) / 1e6 : null;
}

const text = (v: unknown, max = 200): string | null => (typeof v === 'string' && v !== '' ? v.slice(0, max) : null);

/** The report columns of a minimized warehouse event sent under `mode`. */
export function reportColumns(event: Event, mode: SendAction): ReportColumns {
  return {
    consent_mode: mode,
    device_type: text(event.device?.device_type),
    country: text(event.geo?.country),
    channel: text(event.campaign?.channel),
    source: text(event.campaign?.source),
    medium: text(event.campaign?.medium),
    campaign: text(event.campaign?.campaign),
    value: eventValue(event),
    currency: text(event.params.currency, 3),
    kind: event.kind ?? null,
    rule_id: event.derived_from?.rule_id ?? null,
  };
}
