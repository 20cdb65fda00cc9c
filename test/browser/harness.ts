/**
 * Browser test harness: Chromium from /usr/bin/chromium via playwright-core, the real tagrelay process,
 * and a page server on another 127.0.0.1 port (a different origin, as on a real site).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { openStoreFile } from '../helpers/store-file.js';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM } from '../tools/system-tools.mjs';

/**
 * A visitor's User-Agent. Headless Chromium says `HeadlessChrome`, which tagrelay drops as a bot by design;
 * a per-context override does not reach beacons sent while a page unloads, so it is set browser-wide.
 */
export const VISITOR_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36';

/** Launch the system Chromium; fails with the reason (never skips) when it is not installed. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: the browser tests need Chromium (\`npm test\` installs it in pretest: test/tools/ensure-tools.mjs)`);
  }
  // playwright-core starts Chromium with a new empty --user-data-dir of its own.
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [`--user-agent=${VISITOR_UA}`, '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A page server: `pages[path]` is called per request with the proxy's origin. */
export async function startPageServer(pages: Record<string, (proxy: string) => string>, proxy: () => string): Promise<{ origin: string; server: Server }> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const page = pages[path];
    res.writeHead(page ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
    res.end(page ? page(proxy()) : 'not found');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** The real CLI (`serve --config file`) on a random 127.0.0.1 port; resolves once it logs its port. */
export function startTagrelay(configYaml: string, dataDir: string): Promise<{ child: ChildProcess; port: number; log: () => string }> {
  const file = join(dataDir, 'tagrelay.yaml');
  writeFileSync(file, configYaml);
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/runtime/node/cli.ts', 'serve', '--config', file], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', TAGRELAY_LOG_LEVEL: 'info', TAGRELAY_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`tagrelay did not start: ${err}`)), 15_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      const m = /"msg":"tagrelay listening".*?"port":(\d+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        ok({ child, port: Number(m[1]), log: () => err });
      }
    });
    child.once('exit', (code) => fail(new Error(`tagrelay exited with ${code}: ${err}`)));
  });
}

/** One stored row of the embedded warehouse, with its JSON parsed. */
export interface StoredEvent {
  event_id: string;
  name: string;
  page_url: string | null;
  data: {
    params: Record<string, unknown>;
    user: Record<string, unknown>;
    hashed_user?: Record<string, string>;
    consent?: { purposes: Record<string, { value: string; source: string }> };
    source: string;
  };
}

/** Rows of `events` whose page URL starts with `prefix`. */
export function storedEvents(dbFile: string, prefix: string): StoredEvent[] {
  if (!existsSync(dbFile)) return [];
  const db = openStoreFile(dbFile, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT event_id, name, page_url, data FROM events WHERE page_url LIKE ? ORDER BY received_at, rowid').all(`${prefix}%`) as { event_id: string; name: string; page_url: string | null; data: string }[];
    return rows.map((r) => ({ ...r, data: JSON.parse(r.data) as StoredEvent['data'] }));
  } finally {
    db.close();
  }
}

/** Poll until `check` returns a value (not undefined), or fail with what was last seen. */
export async function eventually<T>(what: string, check: () => T | undefined, seen: () => unknown = () => '', timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(seen())}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
