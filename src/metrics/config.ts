/**
 * @module Metrics configuration (`metrics`): the Prometheus endpoint.
 */
import { z } from 'zod';

export const metricsConfigSchema = z
  .object({
    /** Serve `GET /metrics` (Prometheus text format) to admin tokens with scope `metrics:read`. */
    enabled: z.boolean().default(true),
    /** Also answer without a token (only behind a network boundary: a private port or a scraping sidecar). */
    public: z.boolean().default(false),
    /** One JSON log line per request (request id, method, route, status, ms); off, only 5xx answers are logged. */
    access_log: z.boolean().default(false),
  })
  .prefault({});

export type MetricsConfig = z.infer<typeof metricsConfigSchema>;
