/**
 * Test runtime: the real Node runtime on an in-memory or temp-file SQLite store, a settable clock,
 * and a logger that records every line (so tests can assert no PII reaches the logs).
 */
import { nodeRuntime } from '../../src/runtime/node/runtime.js';
import type { LogFields, Logger, Runtime } from '../../src/ports.js';
import { createApp, type TagrelayApp } from '../../src/app.js';
import { configSchema, type Config, type ConfigInput } from '../../src/config/schema.js';

export interface Clock {
  now: number;
  (): number;
}

/** A clock tests move by hand. */
export function clock(start = Date.UTC(2026, 10, 23, 12, 0, 0)): Clock {
  const c = (() => c.now) as Clock;
  c.now = start;
  return c;
}

export interface CapturedLog extends Logger {
  lines: { level: string; msg: string; fields?: LogFields }[];
  text(): string;
}

/** A logger that keeps its lines. */
export function captureLog(): CapturedLog {
  const lines: CapturedLog['lines'] = [];
  const at = (level: string) => (msg: string, fields?: LogFields) => void lines.push({ level, msg, fields });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), text: () => JSON.stringify(lines) };
}

/** Config from a partial object, with test-friendly delivery timing. */
export function testConfig(input: ConfigInput = {}): Config {
  return configSchema.parse({
    ...input,
    delivery: { poll_interval: '20ms', backoff_base: '10ms', backoff_max: '50ms', ...(input.delivery ?? {}) },
  });
}

/** An app on a fresh store; close it with `app.services.close()`. */
export function testApp(input: ConfigInput = {}, opts: { now?: () => number; file?: string; runtime?: Partial<Runtime> } = {}) {
  const log = captureLog();
  const runtime: Runtime = {
    ...nodeRuntime({ dataDir: '', file: opts.file ?? ':memory:', log, now: opts.now }),
    ...opts.runtime,
  };
  const app: TagrelayApp = createApp(testConfig(input), runtime);
  return { app, runtime, log };
}

/** POST JSON to an in-process app. */
export function post(app: TagrelayApp, path: string, body: unknown, headers: Record<string, string> = {}) {
  return app.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}
