// A local delivery sink for the benchmarks: answers every POST on 127.0.0.1 the way the vendors do on
// success (Meta Graph `/events`: 200 JSON; everything else, e.g. GA4 /mp/collect: 204), after a
// realistic delay (`--delay-ms`, default 30: vendors answer in 20–50 ms from a real server).
// It counts requests, bytes and events per path: GA4 `/mp/collect` events are the body's `events`
// array, Meta `/events` events its `data` array. GET /counts returns the counts.
// Per vendor it also keeps the identity of every event it took, so a resend shows as a duplicate:
// Meta's `data[].event_id`; GA4 carries no event id, so `client_id|name|timestamp_micros` (a resend of a
// record carries the same three). `unique` and `duplicates` in /counts; GET /ids?vendor=ga4|meta lists them.
// Outages (bench:soak): POST /outage?mode=503 answers every later POST with 503 (after the same delay,
// events not counted as taken); POST /outage?mode=refuse stops listening (connections are refused,
// requests arriving on open connections have their socket destroyed unread); POST /up ends either.
// With --control a second server on its own port serves /counts, /ids, /outage and /up, so they stay
// reachable while the vendor port refuses connections (its port is `control_port` in the listening line).
// Plain JavaScript so it runs without tsx:  node bench/sink.mjs [--delay-ms 30] [--port 0] [--control]
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values: opts } = parseArgs({
  options: {
    'delay-ms': { type: 'string', default: '30' },
    port: { type: 'string', default: process.env.PORT ?? '0' },
    control: { type: 'boolean', default: false },
  },
});
const delayMs = Number(opts['delay-ms']);
if (!Number.isFinite(delayMs) || delayMs < 0) throw new Error(`--delay-ms must be a number ≥ 0, got ${opts['delay-ms']}`);

/**
 * `by_path[path] = { requests, events }`; `events` counts what the vendor would count as received.
 * `unique[vendor]`: distinct events taken; `duplicates[vendor]`: events taken again after the first time.
 * `outage`: the current mode (`up`, `503`, `refuse`) and what was turned away while down.
 */
const counts = {
  delay_ms: delayMs,
  requests: 0,
  bytes: 0,
  bad_json: 0,
  by_path: {},
  unique: { ga4: 0, meta: 0 },
  duplicates: { ga4: 0, meta: 0 },
  outage: { mode: 'up', outages: 0, rejected_requests: 0, rejected_events: 0, dropped_sockets: 0 },
};
/** Identities of the events taken, per vendor. */
const seen = { ga4: new Set(), meta: new Set() };

/** The vendor a path belongs to (GA4's debug endpoint validates, it does not take events). */
function vendorOf(path) {
  if (path.endsWith('/mp/collect')) return path.includes('/debug/') ? undefined : 'ga4';
  if (path.endsWith('/events')) return 'meta';
  return undefined;
}

/** The events in a request body: GA4 `events`, Meta `data`; a body without either is one anonymous event. */
function eventsIn(path, text) {
  if (!path.endsWith('/mp/collect') && !path.endsWith('/events')) return { n: 1, ids: [] };
  try {
    const body = JSON.parse(text);
    if (path.endsWith('/events')) {
      const list = Array.isArray(body.data) ? body.data : [];
      return { n: list.length, ids: list.map((e) => (e && e.event_id != null ? String(e.event_id) : `${e?.event_name}|${e?.event_time}`)) };
    }
    const list = Array.isArray(body.events) ? body.events : [];
    return { n: list.length, ids: list.map((e) => `${body.client_id}|${e?.name}|${e?.timestamp_micros}`) };
  } catch {
    counts.bad_json++;
    return { n: 0, ids: [] };
  }
}

/** Record the events a request delivered: unique or duplicate, per vendor. */
function take(path, ids) {
  const vendor = vendorOf(path);
  if (!vendor) return;
  const set = seen[vendor];
  for (const id of ids) {
    if (set.has(id)) counts.duplicates[vendor]++;
    else {
      set.add(id);
      counts.unique[vendor]++;
    }
  }
}

function json(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** GET /counts, GET /ids, POST /outage, POST /up; false when the request is none of them. */
function control(req, res) {
  const url = new URL(req.url ?? '/', 'http://sink');
  if (req.method === 'GET' && url.pathname === '/counts') return json(res, 200, counts), true;
  if (req.method === 'GET' && url.pathname === '/ids') {
    const set = seen[url.searchParams.get('vendor') ?? ''];
    if (!set) return json(res, 400, { error: 'vendor must be ga4 or meta' }), true;
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end([...set].join('\n'));
    return true;
  }
  if (req.method === 'POST' && url.pathname === '/outage') {
    const mode = url.searchParams.get('mode') ?? '503';
    if (mode !== '503' && mode !== 'refuse') return json(res, 400, { error: 'mode must be 503 or refuse' }), true;
    if (counts.outage.mode === 'up') counts.outage.outages++;
    counts.outage.mode = mode;
    if (mode === 'refuse' && server.listening) {
      server.close();
      server.closeIdleConnections();
    }
    return json(res, 200, counts.outage), true;
  }
  if (req.method === 'POST' && url.pathname === '/up') {
    const was = counts.outage.mode;
    counts.outage.mode = 'up';
    if (was === 'refuse') {
      listen(port, () => json(res, 200, counts.outage));
      return true;
    }
    return json(res, 200, counts.outage), true;
  }
  return false;
}

const server = createServer((req, res) => {
  if (control(req, res)) return;
  if (counts.outage.mode === 'refuse') {
    // A request on a connection opened before the outage: the vendor is gone, nothing is read.
    counts.outage.dropped_sockets++;
    req.socket.destroy();
    return;
  }
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const text = Buffer.concat(chunks).toString('utf8');
    const path = (req.url ?? '/').split('?')[0];
    const { n: events, ids } = eventsIn(path, text);
    counts.requests++;
    counts.bytes += Buffer.byteLength(text);
    if (counts.outage.mode === '503') {
      // The vendor is down: nothing is taken, the answer says so after the usual delay.
      counts.outage.rejected_requests++;
      counts.outage.rejected_events += events;
      setTimeout(() => json(res, 503, { error: 'service unavailable (bench outage)' }), delayMs);
      return;
    }
    const entry = (counts.by_path[path] ??= { requests: 0, events: 0 });
    entry.requests++;
    // Counted on arrival: a vendor has the events once it has read the request.
    entry.events += events;
    take(path, ids);
    setTimeout(() => {
      // Answered while the port stopped listening: close the connection after this answer.
      if (counts.outage.mode === 'refuse') res.setHeader('connection', 'close');
      if (path.endsWith('/events')) json(res, 200, { events_received: events, messages: [], fbtrace_id: 'bench' });
      else {
        res.writeHead(204);
        res.end();
      }
    }, delayMs);
  });
});
server.keepAliveTimeout = 60_000;

let port = Number(opts.port);
/** Listen on `port` (again, after a refuse outage); a port taken meanwhile is retried every second. */
function listen(p, done) {
  const onError = (err) => {
    console.log(JSON.stringify({ msg: 'sink cannot listen again', port: p, error: String(err) }));
    setTimeout(() => listen(p, done), 1000);
  };
  server.once('error', onError);
  server.listen(p, '127.0.0.1', () => {
    server.off('error', onError);
    done();
  });
}

const controlServer = opts.control ? createServer((req, res) => control(req, res) || json(res, 404, { error: 'not a control path' })) : undefined;
listen(port, () => {
  port = server.address().port;
  const announce = (controlPort) => console.log(JSON.stringify({ msg: 'sink listening', port, delay_ms: delayMs, ...(controlPort ? { control_port: controlPort } : {}) }));
  if (!controlServer) return announce();
  controlServer.listen(0, '127.0.0.1', () => announce(controlServer.address().port));
});
process.on('SIGTERM', () => {
  controlServer?.close();
  controlServer?.closeAllConnections();
  if (!server.listening) process.exit(0);
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
