/**
 * @module GET /admin/v1/reports/:name — the reports (src/reports/) as JSON (or CSV with `format=csv`), scope `reports:read`.
 */
import type { Hono } from 'hono';
import type { Services } from '../services.js';
import { requireScope, type Verifier } from './auth.js';
import { TagrelayError } from '../errors.js';
import { drawReport, formatReport, type RawParams } from '../reports/index.js';
import { reportSetup } from '../reports/context.js';

/** Query keys a report accepts; any other is refused (a typo must not silently change the numbers). */
const KEYS = new Set(['since', 'until', 'by', 'steps', 'count', 'within', 'purchase', 'destination', 'format', 'warehouse']);

/** Mount the report routes on the admin app. */
export function reportRoutes(admin: Hono, services: Services, verifier: Verifier | undefined): void {
  admin.get('/reports/:name', requireScope(verifier, 'reports:read'), async (c) => {
    const query = c.req.query();
    for (const key of Object.keys(query)) {
      // A key shaped like a parameter name is named back; anything else (it could be an address) is masked.
      if (!KEYS.has(key)) throw new TagrelayError('ERR_INVALID_QUERY', 'unknown query parameter', { field: /^[a-z_]{1,32}$/.test(key) ? key : '****' });
    }
    const format = query.format ?? 'json';
    if (format !== 'json' && format !== 'csv') throw new TagrelayError('ERR_INVALID_QUERY', 'format expects json or csv', { field: 'format' });
    await services.ready;
    const { source, ctx } = reportSetup(services.config, { db: services.runtime.db, postgres: services.runtime.postgres, now: services.runtime.now(), warehouse: query.warehouse });
    const { format: _f, warehouse: _w, ...raw } = query;
    const result = await drawReport(source, c.req.param('name'), raw as RawParams, ctx);
    if (format === 'csv') return c.body(formatReport(result, 'csv'), 200, { 'content-type': 'text/csv; charset=utf-8' });
    return c.json(result);
  });
}
