/**
 * @module The end-to-end stack: the real tagrelay process, configured by a file in a temp dir, pointed at
 * the GA4 and Meta fakes, with an admin token and read access to its warehouse file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import Database from 'better-sqlite3';
import { openStoreFile } from '../helpers/store-file.js';
import { startProcess, type StartedProcess } from '../helpers/process.js';
import { ADMIN_SECRET, hsToken } from '../helpers/tokens.js';
import { startGa4Fake, type Ga4Fake } from '../fakes/ga4-fake.js';
import { startMetaFake, type MetaFake } from '../fakes/meta-fake.js';
import { generateSigningKey } from '../../src/consent/receipts.js';

export const GA4_MEASUREMENT_ID = 'G-E2ETEST42';
export const GA4_API_SECRET = 'e2e-ga4-api-secret';
export const META_PIXEL_ID = '123456789012345';
export const META_TOKEN = 'e2e-meta-access-token';

/** One running stack. */
export interface Stack {
  /** `http://127.0.0.1:<port>` of the tagrelay process. */
  base: string;
  server: StartedProcess;
  ga4: Ga4Fake;
  meta: MetaFake;
  dir: string;
  /** A bearer token with every admin scope. */
  token: string;
  /** Read the warehouse (the process's own SQLite file) without disturbing it. */
  query<T>(sql: string, ...params: unknown[]): T[];
  /** GET an admin route with the token; the parsed JSON body. */
  admin<T>(path: string): Promise<T>;
  /** Close a fake (connection refused from then on) and bring it back later on the same port. */
  down(which: 'ga4' | 'meta'): Promise<() => Promise<void>>;
  stop(): Promise<void>;
}

/**
 * Start both fakes and the server. The config is the one the brief names: GA4 and Meta at the fakes
 * with no batch wait, consent from `cf-ipcountry` with EEA opt-in / US opt-out / default opt-in, fast
 * delivery timing, an HS256 admin secret and a fixed receipt signing key (dev mode off).
 */
export async function startStack(): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), 'tagrelay-e2e-'));
  const fakes = {
    ga4: await startGa4Fake({ apiSecret: GA4_API_SECRET }),
    meta: await startMetaFake({ pixelId: META_PIXEL_ID, accessToken: META_TOKEN }),
  };
  const { privateJwk } = await generateSigningKey();
  const config = {
    dev_mode: false,
    server: { trust_proxy: true },
    consent: {
      geo_headers: ['cf-ipcountry'],
      regions: { EEA: 'opt_in', US: 'opt_out', default: 'opt_in' },
      receipts: { signing_key: JSON.stringify(privateJwk) },
    },
    privacy: { pseudonymization: { salt: 'e2e-salt-0123456789abcdef', salt_id: 'e2e' } },
    admin: { jwt: { secret: ADMIN_SECRET } },
    // max_attempts is high so that a destination that is down for a while is waited for, not dead-lettered.
    delivery: { backoff_base: '20ms', backoff_max: '200ms', poll_interval: '50ms', max_attempts: 1000 },
    destinations: [
      { id: 'lake', type: 'sqlite' },
      { id: 'ga4', type: 'ga4', measurement_id: GA4_MEASUREMENT_ID, api_secret: GA4_API_SECRET, endpoint: fakes.ga4.url, batch: { max_wait_ms: 0 } },
      { id: 'meta', type: 'meta_capi', pixel_id: META_PIXEL_ID, access_token: META_TOKEN, endpoint: fakes.meta.url, batch: { max_wait_ms: 0 }, server_action_source: 'other' },
    ],
  };
  const file = join(dir, 'tagrelay.yaml');
  writeFileSync(file, stringify(config));
  const server = await startProcess(['serve', '--config', file], { TAGRELAY_DATA_DIR: dir });
  const base = `http://127.0.0.1:${server.port}`;
  const token = await hsToken({ sub: 'e2e', scope: 'debug:read dlq:read dlq:write dsr:read dsr:write' }, { exp: '1h' });
  let db: Database.Database | undefined;
  const stack: Stack = {
    base,
    server,
    ...fakes,
    dir,
    token,
    query<T>(sql: string, ...params: unknown[]): T[] {
      db ??= openStoreFile(join(dir, 'tagrelay.db'), { readonly: true, fileMustExist: true });
      return db.prepare(sql).all(...params) as T[];
    },
    async admin<T>(path: string): Promise<T> {
      const res = await fetch(`${base}/admin/v1${path}`, { headers: { authorization: `Bearer ${token}` } });
      if (res.status !== 200) throw new Error(`GET /admin/v1${path} answered ${res.status}: ${await res.text()}`);
      return (await res.json()) as T;
    },
    async down(which) {
      const port = Number(new URL(stack[which].url).port);
      const old = stack[which];
      await old.close();
      return async () => {
        const revived =
          which === 'ga4'
            ? await startGa4Fake({ apiSecret: GA4_API_SECRET, port })
            : await startMetaFake({ pixelId: META_PIXEL_ID, accessToken: META_TOKEN, port });
        // Keep what the old instance saw, so counts span the outage.
        revived.received.unshift(...old.received);
        Object.assign(stack, { [which]: revived });
      };
    },
    async stop() {
      const code = await server.stop();
      db?.close();
      await Promise.all([stack.ga4.close(), stack.meta.close()]);
      rmSync(dir, { recursive: true, force: true });
      if (code !== 0) throw new Error(`tagrelay exited with ${code}: ${server.stderr().slice(-2000)}`);
    },
  };
  return stack;
}

/** Cookies from a response's Set-Cookie headers: name → { value, attributes (lower-case) }. */
export function setCookies(res: Response): Map<string, { value: string; attributes: string[] }> {
  const out = new Map<string, { value: string; attributes: string[] }>();
  for (const line of res.headers.getSetCookie()) {
    const [pair, ...attrs] = line.split(';').map((s) => s.trim());
    const eq = pair!.indexOf('=');
    out.set(pair!.slice(0, eq), { value: pair!.slice(eq + 1), attributes: attrs.map((a) => a.toLowerCase()) });
  }
  return out;
}

/** A `Cookie` request header from cookies a response set. */
export function cookieHeader(cookies: Map<string, { value: string }>): string {
  return [...cookies].map(([k, v]) => `${k}=${v.value}`).join('; ');
}

/** POST JSON to the running server. */
export function postJson(stack: Stack, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${stack.base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}
