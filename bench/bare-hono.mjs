// The baseline for bench:ingest: bare Hono on @hono/node-server with one POST route that reads the
// body and answers 204. Plain JavaScript so it runs on plain node, like the compiled tagrelay.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono();
app.post('/v1/events', async (c) => {
  await c.req.text();
  return c.body(null, 204);
});
const server = serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 0), hostname: '127.0.0.1' }, (info) => {
  console.log(JSON.stringify({ msg: 'bare hono listening', port: info.port }));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
