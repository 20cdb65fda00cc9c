/**
 * @module The `tagrelay` command: serve (default), check, schema, purge, dlq, explain, plan check.
 */
import { parseArgs } from 'node:util';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../../config/schema.js';
import { migrate } from '../../store/schema.js';
import { purge } from '../../privacy/retention.js';
import { listDeadLetters, replayDeadLetters } from '../../delivery/dead-letter.js';
import { openSqlite, StoreOpenError } from './db.js';
import { ConfigError } from '../../config/load.js';
import { configPath, loadConfigFile, PACKAGE_ROOT } from './config-file.js';
import { startServer, stopOnSignals } from './server.js';
import { nodeRuntime, jsonLogger } from './runtime.js';
import { createServices } from '../../services.js';
import { ingestNative, type Rejection } from '../../ingest/native.js';
import { parseCookies } from '../../identity/cookies.js';
import { explainEvents, type Explanation } from '../../consent/endpoints.js';
import type { RequestContext } from '../../event.js';
import { planCommand } from './plan-check.js';
import { purgeWarehouses } from '../../destinations/warehouse.js';
import { destinations as registry } from '../../destinations/index.js';
import { createPostgresPort } from './postgres.js';
import { reportCommand } from './report-command.js';
import { clusterWarnings } from '../../store/redis/check.js';

const USAGE = `usage: tagrelay [command] [--config PATH] [--port N] [--host H]

  serve                  run the proxy (default)
  check                  validate a config file and print a summary
  schema                 write config/schema.json from the zod schema
  purge [--dry-run]      apply the retention rules now (counts only, never values)
  dlq list [--destination ID]
  dlq replay (--destination ID | ID…)
                         list or requeue dead-lettered deliveries
  explain --event FILE [--header 'Name: value']… [--json]
                         say per destination what would happen to the event(s) in FILE
                         and why, without storing or sending anything
  plan check --plan FILE [--since 7d] [--db FILE] [--format table|json]
                         what a new tracking plan would warn, drop or quarantine
                         among the stored events, per event name
  report <name> [--since 7d] [--by …] [--steps a,b,c] [--format table|json|csv]
                         funnel, micro, abandonment, revenue, cohorts or delivery (tagrelay report --help)
  admin token --scopes debug:read,dsr:read,dlq:read [--ttl 8h] [--sub NAME]
                         mint an admin JWT (needs admin.jwt.secret) for the console
                         (/admin/ui) and the admin API`;

/** Open the configured store for an offline command. */
async function openStore(config: Config) {
  const dataDir = resolve(process.env.TAGRELAY_DATA_DIR ?? config.server.data_dir);
  const db = openSqlite(join(dataDir, 'tagrelay.db'));
  await migrate(db);
  return db;
}

/**
 * Run the pipeline on events from a file with the given request headers, on a throw-away in-memory
 * store: nothing is stored, nothing is sent. `Cookie` may carry identity cookies and a consent receipt.
 */
async function explainOffline(config: Config, body: unknown, headerArgs: string[]): Promise<{ explanations: Explanation[]; rejected: Rejection[] } | { problem: string }> {
  const headers: Record<string, string> = {};
  for (const h of headerArgs) {
    const at = h.indexOf(':');
    if (at <= 0) return { problem: `--header expects 'Name: value', got a value without a colon` };
    headers[h.slice(0, at).trim().toLowerCase()] = h.slice(at + 1).trim();
  }
  const request: RequestContext = { source: 'native', ip: headers['x-forwarded-for']?.split(',')[0]?.trim(), user_agent: headers['user-agent'], headers, cookies: parseCookies(headers.cookie) };
  delete headers.cookie;
  const runtime = nodeRuntime({ dataDir: '', file: ':memory:', log: jsonLogger(process.env.TAGRELAY_LOG_LEVEL ?? 'warn') });
  // Nothing is stored: a clustered store is not needed (nor touched) to explain.
  const services = createServices({ ...config, store: { kind: 'sqlite' } }, runtime);
  try {
    await services.ready;
    const input = Array.isArray(body) ? { events: body } : body;
    const parsed = ingestNative(input, { now: runtime.now(), request, randomHex: runtime.randomHex, limits: config.limits, time: config.time });
    if ('error' in parsed) return { problem: `${parsed.error.field ? `${parsed.error.field}: ` : ''}${parsed.error.message}` };
    const token = request.cookies[config.consent.receipts.cookie_name];
    const verified = token ? await services.receipts.verify(token) : undefined;
    const facts = { host: headers.host ?? 'localhost', receipt: verified?.ok ? verified.state : undefined, receiptInvalid: verified ? !verified.ok : undefined };
    return { explanations: await explainEvents(parsed.events, facts, services), rejected: parsed.rejected };
  } finally {
    await services.close();
  }
}

/** The explanations in words, one block per event. */
function formatExplanations(result: { explanations: Explanation[]; rejected: Rejection[] }): string {
  const lines: string[] = [];
  for (const e of result.explanations) {
    const where = e.region ? ` — region ${e.region}, policy ${e.policy} v${e.policy_version}` : '';
    lines.push(`event ${e.event_id} (${e.name}): ${e.status}${where}`);
    for (const [purpose, d] of Object.entries(e.purposes ?? {})) lines.push(`  ${purpose}: ${d.value} (${d.source}) ${d.reason} — ${d.explanation}`);
    for (const n of e.notes) lines.push(`  note ${n.code} — ${n.explanation}`);
    for (const d of e.destinations) {
      lines.push(`  → ${d.destination_id}: ${d.action}`);
      for (const r of d.reasons) lines.push(`      ${r.code} — ${r.explanation}`);
    }
  }
  for (const r of result.rejected) lines.push(`rejected event #${r.index}: ${r.code}${r.field ? ` ${r.field}` : ''} — ${r.message}`);
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'plan') return planCommand(argv.slice(1));
  if (argv[0] === 'report') return reportCommand(argv.slice(1));
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      port: { type: 'string', short: 'p' },
      host: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      'dry-run': { type: 'boolean' },
      destination: { type: 'string' },
      event: { type: 'string' },
      header: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      scopes: { type: 'string' },
      ttl: { type: 'string' },
      sub: { type: 'string' },
    },
  });
  const command = positionals[0] ?? 'serve';
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (command === 'schema') {
    const file = resolve(PACKAGE_ROOT, 'config/schema.json');
    // Only this command needs the JSON Schema generator: imported here, not at every start.
    const { configJsonSchema } = await import('../../config/json-schema.js');
    writeFileSync(file, JSON.stringify(configJsonSchema(), null, 2) + '\n');
    console.log(`wrote ${file}`);
    return 0;
  }
  const file = configPath(values.config);
  let config;
  try {
    config = loadConfigFile(file);
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    return 2;
  }
  if (command === 'check') {
    console.log(`${file}: ok`);
    console.log(`  dev_mode: ${config.dev_mode}`);
    console.log(`  consent: ${Object.entries(config.consent.regions).map(([r, p]) => `${r}=${p}`).join(', ')} (policy v${config.consent.policy_version})`);
    console.log(`  destinations (${config.destinations.length}):`);
    for (const d of config.destinations) console.log(`    - ${d.id} (${d.type})${d.enabled ? '' : ' disabled'}`);
    for (const w of clusterWarnings(config)) console.log(`  warning: ${w}`);
    return 0;
  }
  if (command === 'purge') {
    const db = await openStore(config);
    const counts = await purge(db, config.retention, Date.now(), { dryRun: values['dry-run'] });
    console.log(values['dry-run'] ? 'would purge:' : 'purged:');
    for (const c of counts) console.log(`  ${c.rule.padEnd(22)} ${c.action.padEnd(12)} ${c.rows} row(s)`);
    await db.close();
    // External warehouses (PostgreSQL, ClickHouse, BigQuery) cannot count without deleting: not in a dry run.
    if (!values['dry-run']) {
      const log = jsonLogger('warn');
      const postgres = createPostgresPort({ log });
      const targets = config.destinations.filter((d) => d.enabled).map((d) => ({ config: d, kind: registry[d.type] }));
      const external = await purgeWarehouses(targets, config.retention.rules, { fetch: globalThis.fetch, now: Date.now, log, postgres });
      await postgres.end();
      for (const c of external) console.log(`  ${`${c.destination}:${c.rule}`.padEnd(22)} ${c.action.padEnd(12)} ${c.rows ?? '-'} row(s)${c.reason ? ` (${c.reason})` : ''}`);
    }
    return 0;
  }
  if (command === 'dlq') {
    const db = await openStore(config);
    const sub = positionals[1];
    if (sub === 'list') {
      const items = await listDeadLetters(db, { destination: values.destination, limit: 1000 });
      for (const i of items) console.log(`${i.id}\t${i.destination_id}\t${i.event_id}\t${new Date(i.failed_at).toISOString()}\t${i.attempts}\t${i.reason}`);
      console.log(`${items.length} item(s)`);
    } else if (sub === 'replay') {
      const ids = positionals.slice(2).map(Number).filter((n) => Number.isInteger(n) && n > 0);
      const n = await replayDeadLetters(db, ids.length > 0 ? { ids } : { destination: values.destination }, Date.now());
      console.log(`requeued ${n} item(s); a running proxy delivers them at its next poll`);
    } else {
      console.error(USAGE);
      return 2;
    }
    await db.close();
    return 0;
  }
  if (command === 'admin' && positionals[1] === 'token') {
    // jose is loaded for this command only, not at every start.
    const { mintAdminToken } = await import('./admin-token.js');
    const minted = await mintAdminToken(config, { scopes: values.scopes, ttl: values.ttl, sub: values.sub });
    if ('problem' in minted) {
      console.error(minted.problem);
      return 2;
    }
    // The token alone on stdout (for `$(tagrelay admin token …)`); its expiry on stderr.
    console.log(minted.token);
    console.error(`expires ${new Date(minted.expiresAt).toISOString()}`);
    return 0;
  }
  if (command === 'explain') {
    if (!values.event) {
      console.error('explain needs --event FILE (one event, an array, or {context, events})');
      return 2;
    }
    let body: unknown;
    try {
      body = JSON.parse(readFileSync(resolve(values.event), 'utf8'));
    } catch (err) {
      console.error(`${values.event}: ${err instanceof SyntaxError ? 'not valid JSON' : 'cannot be read'}`);
      return 2;
    }
    const result = await explainOffline(config, body, values.header ?? []);
    if ('problem' in result) {
      console.error(`${values.event}: ${result.problem}`);
      return 2;
    }
    console.log(values.json ? JSON.stringify(result, null, 2) : formatExplanations(result));
    return 0;
  }
  if (command !== 'serve') {
    console.error(USAGE);
    return 2;
  }
  const server = await startServer(config, {
    port: values.port !== undefined ? Number(values.port) : undefined,
    host: values.host,
  });
  stopOnSignals(server);
  return -1;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err) => {
    // A bad config or an unusable store is the operator's to fix: one line, no stack.
    console.error(err instanceof ConfigError || err instanceof StoreOpenError ? err.message : err);
    process.exit(1);
  },
);
