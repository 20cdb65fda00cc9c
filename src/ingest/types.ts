/**
 * @module The ingest adapters' contract: a wire protocol's request → canonical events (pipeline
 * stage 2, "validate"). One bad event becomes a {@link Rejection}; it never drops its neighbours.
 * A new wire protocol is one file in `ingest/` that produces an {@link IngestResult}.
 */
import type { Event, RequestContext } from '../event.js';
import type { Config } from '../config/schema.js';
import type { ErrorCode } from '../errors.js';

/** One event the batch could not accept, by its index in `events`. */
export interface Rejection {
  index: number;
  code: ErrorCode;
  message: string;
  field?: string;
}

/** What an ingest adapter produces. */
export interface IngestResult {
  events: Event[];
  rejected: Rejection[];
}

/** Facts of the request every event of it shares. */
export interface IngestEnv {
  now: number;
  request: RequestContext;
  randomHex(bytes: number): string;
  limits: Config['limits'];
  time: Config['time'];
}
