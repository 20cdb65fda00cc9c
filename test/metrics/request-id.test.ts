/**
 * Request ids: a well-formed `X-Request-Id` is kept, anything else replaced by a fresh id; every answer
 * echoes it (errors and unknown routes too), and the request's log lines carry it.
 */
import { describe, expect, it } from 'vitest';
import { testApp } from '../helpers/runtime.js';

describe('X-Request-Id', () => {
  it('keeps a well-formed id, replaces a malformed one, and echoes it on every route', async () => {
    const { app } = testApp({ dev_mode: false });
    try {
      const given = await app.request('/healthz', { headers: { 'x-request-id': '7f9c2ba4-e88f-4d2e-9c4a-1e8f0a2b3c4d' } });
      expect(given.headers.get('x-request-id')).toBe('7f9c2ba4-e88f-4d2e-9c4a-1e8f0a2b3c4d');
      for (const bad of ['short', 'has space inside it', 'someone@example.org-1234', 'x'.repeat(200), '-leading-dash-1234']) {
        const res = await app.request('/healthz', { headers: { 'x-request-id': bad } });
        expect(res.headers.get('x-request-id'), bad).toMatch(/^[0-9a-f]{16}$/);
      }
      const ids = new Set<string>();
      for (const [path, init, status] of [
        ['/healthz', {}, 200],
        ['/nope', {}, 404],
        ['/metrics', {}, 401],
        ['/v1/events', { method: 'POST', body: '{"name":', headers: { 'content-type': 'application/json' } }, 400],
        ['/v1/events', { method: 'POST', body: '{"name":"page_view"}', headers: { 'content-type': 'application/json' } }, 202],
        ['/g/collect?v=2&tid=G-1&cid=1.2&en=page_view', {}, 204],
        ['/admin/v1/debug/sessions', {}, 401],
        ['/debug/link?token=nope', {}, 401],
      ] as const) {
        const res = await app.request(path, init as RequestInit);
        expect(res.status, path).toBe(status);
        const id = res.headers.get('x-request-id');
        expect(id, path).toMatch(/^[0-9a-f]{16}$/);
        ids.add(id!);
      }
      expect(ids.size).toBe(8);
    } finally {
      await app.services.close();
    }
  });

  it('puts the id on the request’s log lines; with metrics.access_log, one line per request', async () => {
    const { app, log } = testApp({ dev_mode: false, metrics: { access_log: true } });
    try {
      const res = await app.request('/g/collect?v=2&tid=G-1&cid=1.2', { headers: { 'x-request-id': 'trace-0000-aaaa' } });
      expect(res.status).toBe(204);
      const rejected = log.lines.find((l) => l.msg === 'gtag hit lines rejected');
      expect(rejected?.fields).toMatchObject({ request_id: 'trace-0000-aaaa', count: 1 });
      const access = log.lines.filter((l) => l.msg === 'request');
      expect(access).toHaveLength(1);
      expect(access[0]!.fields).toMatchObject({ request_id: 'trace-0000-aaaa', method: 'GET', route: '/g/collect', status: 204 });
      expect(typeof access[0]!.fields!.ms).toBe('number');
    } finally {
      await app.services.close();
    }
  });

  it('logs no access line by default', async () => {
    const { app, log } = testApp({ dev_mode: false });
    try {
      await app.request('/healthz');
      expect(log.lines.filter((l) => l.msg === 'request')).toHaveLength(0);
    } finally {
      await app.services.close();
    }
  });
});
