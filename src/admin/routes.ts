/**
 * @module The admin API under /admin/v1: dead-letter store, delivery records, retention, data-subject requests (JWT-authenticated).
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { Services } from '../services.js';
import { requireScope, type Verifier } from './auth.js';
import { getDeadLetter, listDeadLetters, replayDeadLetters } from '../delivery/dead-letter.js';
import { purge } from '../privacy/retention.js';
import { TagrelayError, parseWith, readJsonBody } from '../errors.js';
import { dsrRoutes } from './dsr.js';
import { reportRoutes } from './reports.js';

const replayBody = z.union([
  z.object({ ids: z.array(z.number().int().positive()).min(1).max(10_000) }),
  z.object({ destination: z.string().min(1) }),
]);

/** Routes mounted at /admin/v1. */
export function adminRoutes(services: Services, verifier: Verifier | undefined): Hono {
  const { db } = services.runtime;
  const admin = new Hono();

  admin.get('/dead-letter', requireScope(verifier, 'dlq:read'), async (c) => {
    const limit = Number(c.req.query('limit') ?? 100);
    const offset = Number(c.req.query('offset') ?? 0);
    if (!Number.isInteger(limit) || !Number.isInteger(offset) || limit < 1 || offset < 0) {
      throw new TagrelayError('ERR_INVALID_BODY', 'limit and offset must be non-negative integers');
    }
    return c.json({ items: await listDeadLetters(db, { destination: c.req.query('destination'), limit, offset }) });
  });

  admin.get('/dead-letter/:id{[0-9]+}', requireScope(verifier, 'dlq:read'), async (c) => {
    const item = await getDeadLetter(db, Number(c.req.param('id')));
    if (!item) throw new TagrelayError('ERR_NOT_FOUND', 'no such dead-letter item');
    return c.json(item);
  });

  admin.post('/dead-letter/replay', requireScope(verifier, 'dlq:write'), async (c) => {
    const body = parseWith(replayBody, await readJsonBody(c.req.raw));
    const requeued = await replayDeadLetters(db, body, services.runtime.now());
    services.worker.wake();
    return c.json({ requeued });
  });

  admin.get('/deliveries/:eventId', requireScope(verifier, 'debug:read'), async (c) => {
    const rows = await db.all<{ destination_id: string; status: string; attempts: number; reasons: string | null; error: string | null; updated_at: number }>(
      'SELECT destination_id, status, attempts, reasons, error, updated_at FROM delivery_log WHERE event_id = ? ORDER BY destination_id',
      [c.req.param('eventId')],
    );
    return c.json({ deliveries: rows.map((r) => ({ ...r, reasons: r.reasons ? JSON.parse(r.reasons) : [] })) });
  });

  admin.post('/retention/purge', requireScope(verifier, 'dsr:write'), async (c) => {
    const dryRun = c.req.query('dry_run') === 'true';
    const counts = await purge(db, services.config.retention, services.runtime.now(), { dryRun });
    // External warehouses cannot count without deleting (ClickHouse mutations, BigQuery DML): a dry run leaves them out.
    return c.json({ dry_run: dryRun, counts, warehouses: dryRun ? [] : await services.purgeWarehouses() });
  });

  dsrRoutes(admin, services, verifier);
  reportRoutes(admin, services, verifier);

  return admin;
}
