// A local delivery sink for the benchmarks: answers every POST on 127.0.0.1 the way the vendors do on
// success (Meta Graph `/events`: 200 JSON; everything else, e.g. GA4 /mp/collect: 204) and counts
// requests and bytes. GET /__stats returns the counts. Plain JavaScript so it runs without tsx.
import { createServer } from 'node:http';

const stats = { requests: 0, bytes: 0, by_path: {} };
const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/__stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(stats));
    return;
  }
  let bytes = 0;
  req.on('data', (chunk) => (bytes += chunk.length));
  req.on('end', () => {
    stats.requests++;
    stats.bytes += bytes;
    const path = (req.url ?? '/').split('?')[0];
    stats.by_path[path] = (stats.by_path[path] ?? 0) + 1;
    if (path.endsWith('/events')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"events_received":1,"messages":[],"fbtrace_id":"bench"}');
    } else {
      res.writeHead(204);
      res.end();
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(JSON.stringify({ msg: 'sink listening', port: server.address().port }));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
