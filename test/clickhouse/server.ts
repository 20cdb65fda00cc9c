/**
 * A real, throwaway ClickHouse server (Debian's clickhouse-server): a config in a temp dir, the HTTP
 * interface only, on a free 127.0.0.1 port, one user with a password; stopped and removed on teardown.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { freePort } from '../helpers/port.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { findClickHouseServer } from '../tools/system-tools.mjs';

export const CH_USER = 'tagrelay';
export const CH_PASSWORD = 'ch-test-password-4f1c';

/** A running server. */
export interface ClickHouseServer {
  /** `http://127.0.0.1:<port>` (the HTTP interface). */
  url: string;
  version: string;
  /** Run a statement as the test user; the response body. Throws on a non-200 answer. */
  query(sql: string, data?: string): Promise<string>;
  /** Rows of a SELECT (FORMAT JSONEachRow is appended). */
  rows<T = Record<string, unknown>>(sql: string): Promise<T[]>;
  destroy(): Promise<void>;
}

function config(dir: string, port: number): string {
  return `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><console>1</console></logger>
  <http_port>${port}</http_port>
  <listen_host>127.0.0.1</listen_host>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/data/tmp/</tmp_path>
  <user_files_path>${dir}/data/user_files/</user_files_path>
  <format_schema_path>${dir}/data/format_schemas/</format_schema_path>
  <mark_cache_size>67108864</mark_cache_size>
  <max_concurrent_queries>50</max_concurrent_queries>
  <users_config>users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mlock_executable>false</mlock_executable>
</yandex>
`;
}

const USERS = `<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>1000000000</max_memory_usage></default></profiles>
  <users><${CH_USER}><password>${CH_PASSWORD}</password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></${CH_USER}></users>
  <quotas><default></default></quotas>
</yandex>
`;

/** Start a server in a temp dir and wait until it answers. */
export async function startClickHouse(): Promise<ClickHouseServer> {
  const { path, tried } = findClickHouseServer();
  if (!path) throw new Error(`clickhouse-server not found (tried ${tried.join(', ')}); \`npm test\` installs it in pretest (test/tools/ensure-tools.mjs)`);
  const dir = mkdtempSync(join(tmpdir(), 'tagrelay-ch-'));
  const port = await freePort();
  writeFileSync(join(dir, 'config.xml'), config(dir, port));
  writeFileSync(join(dir, 'users.xml'), USERS);
  let log = '';
  const child: ChildProcess = spawn(path, [`--config-file=${join(dir, 'config.xml')}`], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  const url = `http://127.0.0.1:${port}`;
  const auth = `Basic ${Buffer.from(`${CH_USER}:${CH_PASSWORD}`).toString('base64')}`;
  const query = async (sql: string, data?: string): Promise<string> => {
    const target = data === undefined ? `${url}/` : `${url}/?query=${encodeURIComponent(sql)}`;
    const res = await fetch(target, { method: 'POST', headers: { authorization: auth }, body: data ?? sql });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`ClickHouse answered ${res.status}: ${text}`);
    return text;
  };
  const destroy = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', () => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`clickhouse-server exited with ${child.exitCode}: ${log}`);
    try {
      const version = (await query('SELECT version()')).trim();
      return {
        url,
        version,
        query,
        async rows<T>(sql: string) {
          const text = await query(`${sql} FORMAT JSONEachRow`);
          return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as T);
        },
        destroy,
      };
    } catch (err) {
      if (Date.now() > deadline) {
        await destroy();
        throw new Error(`clickhouse-server did not answer on ${url}: ${String(err)}\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** One server for the calling test file: started in beforeAll, stopped and removed in afterAll. */
export function useClickHouse(): { readonly server: ClickHouseServer } {
  let server: ClickHouseServer | undefined;
  beforeAll(async () => {
    server = await startClickHouse();
  }, 60_000);
  afterAll(async () => server?.destroy());
  return {
    get server() {
      if (!server) throw new Error('ClickHouse is not running (useClickHouse must be called at file level)');
      return server;
    },
  };
}
