// A local delivery sink for the benchmarks: answers every POST on 127.0.0.1 the way the vendors do on
// success (Meta Graph `/events`: 200 JSON; everything else, e.g. GA4 /mp/collect: 204), after a
// realistic delay (`--delay-ms`, default 30: vendors answer in 20–50 ms from a real server).
// It counts requests, bytes and events per path: GA4 `/mp/collect` events are the body's `events`
// array, Meta `/events` events its `data` array. GET /counts returns the counts.
// Plain JavaScript so it runs without tsx:  node bench/sink.mjs [--delay-ms 30] [--port 0]
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values: opts } = parseArgs({
  options: { 'delay-ms': { type: 'string', default: '30' }, port: { type: 'string', default: process.env.PORT ?? '0' } },
});
const delayMs = Number(opts['delay-ms']);
if (!Number.isFinite(delayMs) || delayMs < 0) throw new Error(`--delay-ms must be a number ≥ 0, got ${opts['delay-ms']}`);

/** `by_path[path] = { requests, events }`; `events` counts what the vendor would count as received. */
const counts = { delay_ms: delayMs, requests: 0, bytes: 0, bad_json: 0, by_path: {} };

/** Events in a request body: GA4 `events`, Meta `data`; a body without either is one event. */
function eventsIn(path, text) {
  if (!path.endsWith('/mp/collect') && !path.endsWith('/events')) return 1;
  try {
    const body = JSON.parse(text);
    const list = path.endsWith('/events') ? body.data : body.events;
    return Array.isArray(list) ? list.length : 0;
  } catch {
    counts.bad_json++;
    return 0;
  }
}

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/counts') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(counts));
    return;
  }
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const text = Buffer.concat(chunks).toString('utf8');
    const path = (req.url ?? '/').split('?')[0];
    const events = eventsIn(path, text);
    counts.requests++;
    counts.bytes += Buffer.byteLength(text);
    const entry = (counts.by_path[path] ??= { requests: 0, events: 0 });
    entry.requests++;
    // Counted on arrival: a vendor has the events once it has read the request.
    entry.events += events;
    setTimeout(() => {
      if (path.endsWith('/events')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ events_received: events, messages: [], fbtrace_id: 'bench' }));
      } else {
        res.writeHead(204);
        res.end();
      }
    }, delayMs);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(opts.port), '127.0.0.1', () => {
  console.log(JSON.stringify({ msg: 'sink listening', port: server.address().port, delay_ms: delayMs }));
});
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
