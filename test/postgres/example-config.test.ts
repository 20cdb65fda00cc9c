import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load.js';

const EXAMPLES = fileURLToPath(new URL('../../config/examples/', import.meta.url));
const CONFIG_FILE = join(EXAMPLES, 'postgres.yaml');
const ENV = {
  DATABASE_URL: 'postgres://tagrelay:pw@postgres:5432/tagrelay',
  TAGRELAY_SALT: 's'.repeat(32),
  TAGRELAY_ADMIN_SECRET: 'a'.repeat(32),
};

interface ComposeService {
  build?: string;
  image?: string;
  ports?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
}

describe('config/examples/postgres.yaml', () => {
  const text = readFileSync(CONFIG_FILE, 'utf8');

  it('loads with the real config loader, its secrets taken from the environment', () => {
    const config = parseConfig(text, 'config/examples/postgres.yaml', ENV);
    expect(config.dev_mode).toBe(false);
    expect(config.privacy.pseudonymization.salt).toBe(ENV.TAGRELAY_SALT);
    expect(config.destinations).toHaveLength(1);
    expect(config.destinations[0]).toMatchObject({
      id: 'warehouse',
      type: 'postgres',
      connection_string: ENV.DATABASE_URL,
      schema: 'public',
      table: 'tagrelay_events',
      create_table: true,
    });
  });

  it('names the missing variable and its line when DATABASE_URL is unset', () => {
    const { DATABASE_URL: _, ...rest } = ENV;
    let error: unknown;
    try {
      parseConfig(text, 'postgres.yaml', rest);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const issue = (error as ConfigError).issues[0]!;
    expect(issue.message).toBe('environment variable DATABASE_URL is not set');
    expect(issue.path).toBe('destinations[0].connection_string');
    expect(text.split('\n')[issue.line! - 1]).toContain('${DATABASE_URL}');
  });

  it('holds no secret itself: every secret is a ${VAR} reference', () => {
    for (const key of ['connection_string', 'salt', 'secret']) {
      const line = text.split('\n').find((l) => l.trim().startsWith(`${key}:`));
      expect(line, key).toMatch(/: \$\{[A-Z_]+\}\s*$/);
    }
  });
});

describe('config/examples/compose.yaml', () => {
  const compose = parse(readFileSync(join(EXAMPLES, 'compose.yaml'), 'utf8')) as { services: Record<string, ComposeService>; volumes: Record<string, unknown> };
  const tagrelay = compose.services.tagrelay!;
  const db = compose.services.postgres!;

  it('builds tagrelay from the repository root, port 8080', () => {
    expect(existsSync(join(resolve(EXAMPLES, tagrelay.build!), 'Dockerfile'))).toBe(true);
    expect(tagrelay.ports).toEqual(['8080:8080']);
    expect(parseConfig(readFileSync(CONFIG_FILE, 'utf8'), 'postgres.yaml', ENV).server.port).toBe(8080);
  });

  it('mounts this directory at /app/config and points TAGRELAY_CONFIG at the example', () => {
    const mount = tagrelay.volumes!.find((v) => v.split(':')[1] === '/app/config')!;
    expect(mount).toBeDefined();
    const hostDir = resolve(EXAMPLES, mount.split(':')[0]!);
    const inContainer = tagrelay.environment!.TAGRELAY_CONFIG!;
    expect(inContainer.startsWith('/app/config/')).toBe(true);
    expect(existsSync(join(hostDir, inContainer.slice('/app/config/'.length)))).toBe(true);
    expect(tagrelay.volumes!.some((v) => v.endsWith(':/app/data'))).toBe(true);
  });

  it('gives tagrelay every variable the example config references', () => {
    const refs = [...readFileSync(CONFIG_FILE, 'utf8').matchAll(/\$\{([A-Z_]+)\}/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(0);
    for (const name of refs) expect(Object.keys(tagrelay.environment!), name).toContain(name);
  });

  it('connects to the postgres:16 service with its user, password and database', () => {
    expect(db.image).toBe('postgres:16');
    expect(db.volumes!.some((v) => v.endsWith(':/var/lib/postgresql/data'))).toBe(true);
    const url = new URL(tagrelay.environment!.DATABASE_URL!.replace(/\$\{POSTGRES_PASSWORD[^}]*\}/, 'pw'));
    expect(url.protocol).toBe('postgres:');
    expect(url.hostname).toBe('postgres');
    expect(url.username).toBe(db.environment!.POSTGRES_USER);
    expect(url.pathname).toBe(`/${db.environment!.POSTGRES_DB}`);
    expect(tagrelay.environment!.DATABASE_URL).toContain('${POSTGRES_PASSWORD');
    expect(db.environment!.POSTGRES_PASSWORD).toMatch(/^\$\{POSTGRES_PASSWORD/);
    expect(tagrelay.depends_on?.postgres?.condition).toBe('service_healthy');
    expect(Object.keys(compose.volumes)).toEqual(expect.arrayContaining(['tagrelay-data', 'postgres-data']));
  });
});
