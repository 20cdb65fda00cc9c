// The durable floor for bench:ingest: the minimal durable accept on tagrelay's stack, the reference
// tagrelay's ingest is compared against (DESIGN.md, cost model). POST /v1/events reads the JSON body,
// SHA-256es the email (node:crypto createHash), HMAC-SHA-256es the client id with a salt, drops the
// clear email, writes ONE better-sqlite3 row per event (WAL, synchronous=NORMAL) in a group commit
// (the rows of all requests of one event-loop turn: one prepared INSERT, one transaction, answers
// after the commit), sets a cookie and answers 202 {"accepted":1}.
// Plain JavaScript so it runs on plain node, like the compiled tagrelay:
//   TAGRELAY_DATA_DIR=<dir> node bench/floor.mjs      (PORT=0 by default: prints the port it got)
import { createHash, createHmac } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import Database from 'better-sqlite3';

const dataDir = process.env.TAGRELAY_DATA_DIR;
if (!dataDir) throw new Error('set TAGRELAY_DATA_DIR to a (temporary) directory for the floor store');
mkdirSync(dataDir, { recursive: true });
const SALT = 'bench-floor-salt';

const db = new Database(join(dataDir, 'floor.db'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec(`CREATE TABLE IF NOT EXISTS events (
  event_id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  client_key TEXT,
  email_sha256 TEXT,
  data TEXT NOT NULL
)`);
const insert = db.prepare('INSERT OR IGNORE INTO events (event_id, name, received_at, client_key, email_sha256, data) VALUES (?, ?, ?, ?, ?, ?)');
const insertAll = db.transaction((rows) => {
  for (const r of rows) insert.run(r.event_id, r.name, r.received_at, r.client_key, r.email_sha256, r.data);
});

/** Rows waiting for the commit at the end of this event-loop turn, with their requests' callbacks. */
let pending = [];
function commit() {
  const batch = pending;
  pending = [];
  try {
    insertAll(batch.map((p) => p.row));
    for (const p of batch) p.ok();
  } catch (err) {
    for (const p of batch) p.fail(err);
  }
}
/** Resolves once the row is committed together with every other row of this turn. */
function store(row) {
  return new Promise((ok, fail) => {
    if (pending.length === 0) setImmediate(commit);
    pending.push({ row, ok, fail });
  });
}

const app = new Hono();
app.post('/v1/events', async (c) => {
  let event;
  try {
    event = JSON.parse(await c.req.text());
  } catch {
    return c.json({ error: { code: 'ERR_MALFORMED_JSON' } }, 400);
  }
  if (typeof event?.event_id !== 'string' || typeof event.name !== 'string') return c.json({ error: { code: 'ERR_INVALID_EVENT' } }, 400);
  const clientId = event.client?.client_id;
  const clientKey = typeof clientId === 'string' ? createHmac('sha256', SALT).update(clientId).digest('hex') : null;
  const email = event.user?.email;
  const emailHash = typeof email === 'string' ? createHash('sha256').update(email.trim().toLowerCase()).digest('hex') : null;
  if (event.user) delete event.user.email;
  await store({ event_id: event.event_id, name: event.name, received_at: Date.now(), client_key: clientKey, email_sha256: emailHash, data: JSON.stringify(event) });
  c.header('set-cookie', `_tr_id=${clientKey ?? 'none'}; Max-Age=34560000; Path=/; SameSite=Lax; Secure; HttpOnly`);
  return c.json({ accepted: 1 }, 202);
});
const server = serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 0), hostname: '127.0.0.1' }, (info) => {
  console.log(JSON.stringify({ msg: 'floor listening', port: info.port }));
});
process.on('SIGTERM', () => {
  server.close(() => {
    db.close();
    process.exit(0);
  });
  server.closeAllConnections?.();
});
