/**
 * @module A fake Google OAuth token endpoint and BigQuery REST API (tabledata.insertAll, jobs.query) on 127.0.0.1.
 *
 * Checks what Google documents and does:
 * - POST /token (the key's token_uri): form body, grant_type jwt-bearer, the assertion's RS256 signature
 *   verified with the service account's PUBLIC key (node:crypto, independent of jose), iss = client email,
 *   aud = the token URI, scope containing the BigQuery scope, exp − iat ≤ 3600 s, not expired; answers
 *   `{ access_token, expires_in, token_type }` or 400 `{ error: 'invalid_grant', error_description }`.
 * - POST /bigquery/v2/projects/{p}/datasets/{d}/tables/{t}/insertAll: a Bearer token it issued and
 *   that has not expired (else 401 with Google's error body), a known project (403 accessDenied) and
 *   table (404 notFound), 1–50,000 rows, ≤ 10 MB; every row checked against the table schema (required
 *   fields, STRING/TIMESTAMP/JSON types, unknown fields unless ignoreUnknownValues); answers
 *   `insertErrors` per row (reason `invalid`; with skipInvalidRows false the others are `stopped` and
 *   nothing is inserted). insertId deduplicates within a minute, as BigQuery does on a best-effort basis.
 * - POST /bigquery/v2/projects/{p}/queries: GoogleSQL (useLegacySql false), NAMED parameters with types;
 *   runs the DML statement forms tagrelay issues (retention DELETE by received_at, erasure DELETE and
 *   COUNT by subject keys, each optionally limited to rows out of the streaming buffer) and refuses any
 *   other statement with 400 invalidQuery. A DELETE that would touch a row streamed within the last
 *   30 minutes fails with BigQuery's "would affect rows in the streaming buffer" error.
 * Error bodies follow Google's JSON error format ({ error: { code, message, errors: [{ message, domain, reason }], status } }).
 */
import { createPublicKey, randomBytes, verify, type KeyObject } from 'node:crypto';
import { startFake, type VendorFake } from './fake-server.js';

/** A column of a fake table. */
export interface FakeField {
  name: string;
  type: 'STRING' | 'TIMESTAMP' | 'JSON';
  mode?: 'REQUIRED' | 'NULLABLE';
}

/** The schema of the table tagrelay's DDL creates (docs/destinations/bigquery.md). */
export const TAGRELAY_SCHEMA: FakeField[] = [
  { name: 'event_id', type: 'STRING', mode: 'REQUIRED' },
  { name: 'name', type: 'STRING', mode: 'REQUIRED' },
  { name: 'time', type: 'TIMESTAMP', mode: 'REQUIRED' },
  { name: 'received_at', type: 'TIMESTAMP', mode: 'REQUIRED' },
  { name: 'client_id', type: 'STRING' },
  { name: 'session_id', type: 'STRING' },
  { name: 'user_id', type: 'STRING' },
  { name: 'page_url', type: 'STRING' },
  { name: 'data', type: 'JSON', mode: 'REQUIRED' },
  { name: 'inserted_at', type: 'TIMESTAMP', mode: 'REQUIRED' },
];

export interface BigQueryFakeOptions {
  projectId: string;
  dataset: string;
  /** Table name → schema. */
  tables: Record<string, FakeField[]>;
  clientEmail: string;
  /** The service account's public key (PEM or KeyObject): the fake never sees the private half. */
  publicKey: string | KeyObject;
  /** Lifetime of issued tokens (Google: 3599 s). */
  tokenTtlS?: number;
  /** The fake's clock (ms); tests move it to expire tokens or age the streaming buffer. */
  now?: () => number;
  port?: number;
}

/** A stored row: the JSON as inserted, plus when it arrived (the streaming buffer is the last 30 minutes). */
export interface StoredRow {
  json: Record<string, unknown>;
  arrivedAt: number;
}

export interface BigQueryFake extends VendorFake {
  /** The token URI to put in the service-account key. */
  tokenUri: string;
  /** Rows per table, in insertion order. */
  tables: Record<string, StoredRow[]>;
  /** Tokens issued so far. */
  tokensIssued(): number;
  /** Expire every token issued so far (the next request gets 401). */
  expireTokens(): void;
  /** The SQL of every jobs.query call, in order. */
  queries: { query: string; params: Record<string, unknown> }[];
  /** Answer the next `n` jobs.query calls with `jobComplete: false`; the result then comes from jobs.getQueryResults. */
  slowJobs(n: number): void;
}

const STREAMING_BUFFER_MS = 30 * 60_000;
const MAX_BYTES = 10 * 1024 * 1024;
const MAX_ROWS = 50_000;
const SCOPE = 'https://www.googleapis.com/auth/bigquery';

const json = (status: number, body: unknown) => ({ status, body: JSON.stringify(body) });
const googleError = (code: number, status: string, reason: string, message: string, extra: Record<string, string> = {}) =>
  json(code, { error: { code, message, errors: [{ message, domain: 'global', reason, ...extra }], status } });
const unauthenticated = () =>
  googleError(401, 'UNAUTHENTICATED', 'authError', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.', {
    location: 'Authorization',
    locationType: 'header',
  });
const invalidGrant = (description: string) => json(400, { error: 'invalid_grant', error_description: description });
const b64url = (s: string) => Buffer.from(s, 'base64url');

/** Why a value is not a valid RFC 3339 / BigQuery timestamp, or undefined. */
function badTimestamp(v: unknown): boolean {
  if (typeof v === 'number') return !Number.isFinite(v);
  if (typeof v !== 'string') return true;
  return !/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?$/.test(v) || Number.isNaN(Date.parse(v));
}

function checkRow(row: unknown, schema: FakeField[], ignoreUnknown: boolean): { location: string; message: string } | undefined {
  if (!row || typeof row !== 'object' || Array.isArray(row)) return { location: '', message: 'Row is not a JSON object.' };
  const r = row as Record<string, unknown>;
  for (const f of schema) {
    const v = r[f.name];
    if (v === undefined || v === null) {
      if (f.mode === 'REQUIRED') return { location: f.name, message: `Missing required field: ${f.name}.` };
      continue;
    }
    if (f.type === 'STRING' && typeof v !== 'string') return { location: f.name, message: `Cannot convert value to string.` };
    if (f.type === 'TIMESTAMP' && badTimestamp(v))
      return { location: f.name, message: `Could not parse '${String(v).slice(0, 40)}' as a timestamp. Required format is YYYY-MM-DD HH:MM[:SS[.SSSSSS]] or YYYY/MM/DD HH:MM[:SS[.SSSSSS]]` };
    if (f.type === 'JSON') {
      if (typeof v === 'string') {
        try {
          JSON.parse(v);
        } catch {
          return { location: f.name, message: `Invalid JSON value for field ${f.name}.` };
        }
      } else if (typeof v !== 'object') return { location: f.name, message: `Invalid JSON value for field ${f.name}.` };
    }
  }
  if (!ignoreUnknown) for (const k of Object.keys(r)) if (!schema.some((f) => f.name === k)) return { location: k, message: `no such field: ${k}.` };
  return undefined;
}

/** Statement forms the fake runs (whitespace-normalized). `T` is the quoted table reference. */
const MATCH =
  "\\(event_id IN UNNEST\\(@event_ids\\) OR user_id IN UNNEST\\(@user_keys\\) OR \\(client_id IN UNNEST\\(@client_keys\\) AND \\(user_id IS NULL OR user_id IN UNNEST\\(@user_keys\\)\\)\\) OR JSON_VALUE\\(data, '\\$\\.hashed_user\\.em'\\) IN UNNEST\\(@hash_keys\\) OR JSON_VALUE\\(data, '\\$\\.hashed_user\\.ph'\\) IN UNNEST\\(@hash_keys\\)\\)";
const BUFFER = '(?: AND inserted_at < @buffer_cutoff)?';

type Param = { name?: string; parameterType?: { type?: string; arrayType?: { type?: string } }; parameterValue?: { value?: string; arrayValues?: { value?: string }[] } };

/** Start the fake (token endpoint and BigQuery API on one port). */
export async function startBigQueryFake(opts: BigQueryFakeOptions): Promise<BigQueryFake> {
  const now = opts.now ?? Date.now;
  const publicKey = typeof opts.publicKey === 'string' ? createPublicKey(opts.publicKey) : opts.publicKey;
  const tokens = new Map<string, number>();
  let issued = 0;
  const tables: Record<string, StoredRow[]> = Object.fromEntries(Object.keys(opts.tables).map((t) => [t, []]));
  const seenInsertIds = new Map<string, number>();
  const queries: BigQueryFake['queries'] = [];
  let tokenUri = '';
  let slow = 0;
  const pendingJobs = new Map<string, { status: number; body?: string }>();
  const tableRef = (t: string) => `\`${opts.projectId}.${opts.dataset}.${t}\``;

  function token(raw: string) {
    const form = new URLSearchParams(raw);
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return json(400, { error: 'unsupported_grant_type', error_description: 'Invalid grant_type.' });
    const parts = (form.get('assertion') ?? '').split('.');
    if (parts.length !== 3) return invalidGrant('Invalid JWT: Token must be a short-lived token and in a reasonable timeframe');
    let header: Record<string, unknown>;
    let claims: Record<string, unknown>;
    try {
      header = JSON.parse(b64url(parts[0]!).toString('utf8'));
      claims = JSON.parse(b64url(parts[1]!).toString('utf8'));
    } catch {
      return invalidGrant('Invalid JWT: not JSON');
    }
    if (header.alg !== 'RS256') return invalidGrant('Invalid JWT: alg must be RS256');
    if (!verify('RSA-SHA256', Buffer.from(`${parts[0]}.${parts[1]}`), publicKey, b64url(parts[2]!))) return invalidGrant('Invalid JWT Signature.');
    if (claims.iss !== opts.clientEmail) return invalidGrant('Invalid JWT: iss is not the service account');
    if (claims.aud !== tokenUri) return invalidGrant('Invalid JWT: aud must be the token URI');
    if (typeof claims.scope !== 'string' || !claims.scope.split(' ').includes(SCOPE)) return json(400, { error: 'invalid_scope', error_description: 'Invalid OAuth scope.' });
    const t = Math.floor(now() / 1000);
    const iat = Number(claims.iat);
    const exp = Number(claims.exp);
    if (!Number.isInteger(iat) || !Number.isInteger(exp) || exp - iat > 3600 || exp <= t || iat > t + 300)
      return invalidGrant('Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.');
    const accessToken = `ya29.fake-${randomBytes(24).toString('base64url')}`;
    const ttl = opts.tokenTtlS ?? 3599;
    tokens.set(accessToken, now() + ttl * 1000);
    issued++;
    return json(200, { access_token: accessToken, expires_in: ttl, token_type: 'Bearer' });
  }

  function authorized(headers: Record<string, string | string[] | undefined>): boolean {
    const m = /^Bearer (\S+)$/.exec(String(headers.authorization ?? ''));
    const expiry = m ? tokens.get(m[1]!) : undefined;
    return expiry !== undefined && expiry > now();
  }

  function insertAll(table: string, raw: string, bytes: number) {
    if (bytes > MAX_BYTES) return googleError(400, 'INVALID_ARGUMENT', 'invalid', `Request payload size exceeds the limit: ${MAX_BYTES} bytes.`);
    let body: { kind?: unknown; rows?: unknown; skipInvalidRows?: unknown; ignoreUnknownValues?: unknown };
    try {
      body = JSON.parse(raw);
    } catch {
      return googleError(400, 'INVALID_ARGUMENT', 'parseError', 'Parse Error');
    }
    const rows = body.rows;
    if (!Array.isArray(rows) || rows.length === 0) return googleError(400, 'INVALID_ARGUMENT', 'invalid', 'No rows present in the request.');
    if (rows.length > MAX_ROWS) return googleError(400, 'INVALID_ARGUMENT', 'invalid', `too many rows present in the request, limit: ${MAX_ROWS} row count: ${rows.length}.`);
    const schema = opts.tables[table]!;
    const errors: { index: number; errors: { reason: string; location: string; debugInfo: string; message: string }[] }[] = [];
    rows.forEach((r, index) => {
      const bad = checkRow((r as { json?: unknown })?.json, schema, body.ignoreUnknownValues === true);
      if (bad) errors.push({ index, errors: [{ reason: 'invalid', location: bad.location, debugInfo: '', message: bad.message }] });
    });
    if (errors.length > 0 && body.skipInvalidRows !== true) {
      const invalid = new Set(errors.map((e) => e.index));
      rows.forEach((_, index) => {
        if (!invalid.has(index)) errors.push({ index, errors: [{ reason: 'stopped', location: '', debugInfo: '', message: '' }] });
      });
      return json(200, { kind: 'bigquery#tableDataInsertAllResponse', insertErrors: errors.sort((a, b) => a.index - b.index) });
    }
    const failed = new Set(errors.map((e) => e.index));
    rows.forEach((r, index) => {
      if (failed.has(index)) return;
      const { insertId, json: row } = r as { insertId?: string; json: Record<string, unknown> };
      if (insertId) {
        const seen = seenInsertIds.get(insertId);
        if (seen !== undefined && now() - seen < 60_000) return;
        seenInsertIds.set(insertId, now());
      }
      tables[table]!.push({ json: row, arrivedAt: now() });
    });
    return json(200, { kind: 'bigquery#tableDataInsertAllResponse', ...(errors.length > 0 ? { insertErrors: errors } : {}) });
  }

  function runQuery(raw: string) {
    let body: { query?: unknown; useLegacySql?: unknown; parameterMode?: unknown; queryParameters?: Param[] };
    try {
      body = JSON.parse(raw);
    } catch {
      return googleError(400, 'INVALID_ARGUMENT', 'parseError', 'Parse Error');
    }
    if (body.useLegacySql !== false) return googleError(400, 'INVALID_ARGUMENT', 'invalidQuery', 'Query parameters are only supported in GoogleSQL (useLegacySql: false).');
    if (body.parameterMode !== 'NAMED') return googleError(400, 'INVALID_ARGUMENT', 'invalid', 'parameterMode must be NAMED for @parameters.');
    const query = String(body.query ?? '').replace(/\s+/g, ' ').trim();
    const params: Record<string, unknown> = {};
    for (const p of body.queryParameters ?? []) {
      const type = p.parameterType?.type;
      if (!p.name) return googleError(400, 'INVALID_ARGUMENT', 'invalid', 'Query parameter name must be set.');
      if (type === 'TIMESTAMP') {
        if (badTimestamp(p.parameterValue?.value)) return googleError(400, 'INVALID_ARGUMENT', 'invalidQuery', `Invalid TIMESTAMP value for parameter ${p.name}`);
        params[p.name] = Date.parse(p.parameterValue!.value!);
      } else if (type === 'ARRAY' && p.parameterType?.arrayType?.type === 'STRING') {
        params[p.name] = (p.parameterValue?.arrayValues ?? []).map((v) => String(v.value));
      } else return googleError(400, 'INVALID_ARGUMENT', 'invalid', `Unsupported parameter type for ${p.name}`);
    }
    for (const used of query.match(/@[a-z_]+/g) ?? []) if (!(used.slice(1) in params)) return googleError(400, 'INVALID_ARGUMENT', 'invalidQuery', `Query parameter '${used.slice(1)}' not found`);
    queries.push({ query, params });

    for (const [table, rows] of Object.entries(tables)) {
      const t = tableRef(table).replace(/[.`]/g, (c) => `\\${c}`);
      const buffered = (r: StoredRow) => now() - r.arrivedAt < STREAMING_BUFFER_MS;
      const outOfBuffer = (r: StoredRow) => !(query.includes('@buffer_cutoff')) || Date.parse(String(r.json.inserted_at)) < (params.buffer_cutoff as number);
      const subject = (r: StoredRow) => {
        const j = r.json;
        const has = (k: string, v: unknown) => (params[k] as string[]).includes(v as string);
        let data: { hashed_user?: { em?: unknown; ph?: unknown } } = {};
        try {
          data = typeof j.data === 'string' ? JSON.parse(j.data) : (j.data as typeof data);
        } catch {
          data = {};
        }
        return has('event_ids', j.event_id) || has('user_keys', j.user_id) || (has('client_keys', j.client_id) && (j.user_id == null || has('user_keys', j.user_id))) || has('hash_keys', data.hashed_user?.em) || has('hash_keys', data.hashed_user?.ph);
      };
      let match: ((r: StoredRow) => boolean) | undefined;
      let count = false;
      if (new RegExp(`^DELETE FROM ${t} WHERE received_at < @cutoff${BUFFER}$`).test(query)) match = (r) => Date.parse(String(r.json.received_at)) < (params.cutoff as number) && outOfBuffer(r);
      else if (new RegExp(`^DELETE FROM ${t} WHERE ${MATCH}${BUFFER}$`).test(query)) match = (r) => subject(r) && outOfBuffer(r);
      else if (new RegExp(`^SELECT COUNT\\(\\*\\) FROM ${t} WHERE ${MATCH}$`).test(query)) (match = subject), (count = true);
      if (!match) continue;
      const hits = rows.filter(match);
      const job = { projectId: opts.projectId, jobId: `job_${randomBytes(8).toString('hex')}`, location: 'EU' };
      if (count) {
        return json(200, { kind: 'bigquery#queryResponse', schema: { fields: [{ name: 'f0_', type: 'INTEGER', mode: 'NULLABLE' }] }, jobReference: job, totalRows: '1', rows: [{ f: [{ v: String(hits.length) }] }], totalBytesProcessed: '0', jobComplete: true, cacheHit: false });
      }
      if (hits.some(buffered)) {
        return googleError(400, 'INVALID_ARGUMENT', 'invalidQuery', `UPDATE or DELETE statement over table ${opts.projectId}.${opts.dataset}.${table} would affect rows in the streaming buffer, which is not supported`, { location: 'q', locationType: 'parameter' });
      }
      tables[table] = rows.filter((r) => !match!(r));
      return json(200, { kind: 'bigquery#queryResponse', jobReference: job, totalBytesProcessed: '0', jobComplete: true, cacheHit: false, numDmlAffectedRows: String(hits.length), dmlStats: { deletedRowCount: String(hits.length) } });
    }
    return googleError(400, 'INVALID_ARGUMENT', 'invalidQuery', `The fake does not run this statement: ${query.slice(0, 200)}`);
  }

  const fake = await startFake(
    (req) => {
      if (req.path === '/token' && req.method === 'POST') return token(req.raw);
      if (!authorized(req.headers)) return unauthenticated();
      const results = /^\/bigquery\/v2\/projects\/([^/]+)\/queries\/([^/]+)$/.exec(req.path);
      if (req.method === 'GET' && results) {
        // jobs.getQueryResults: the job's result once it has finished.
        const done = pendingJobs.get(decodeURIComponent(results[2]!));
        return done ?? googleError(404, 'NOT_FOUND', 'notFound', `Not found: Job ${opts.projectId}:${results[2]}`);
      }
      if (req.method !== 'POST') return googleError(405, 'METHOD_NOT_ALLOWED', 'methodNotAllowed', 'Method not allowed');
      const insert = /^\/bigquery\/v2\/projects\/([^/]+)\/datasets\/([^/]+)\/tables\/([^/]+)\/insertAll$/.exec(req.path);
      const query = /^\/bigquery\/v2\/projects\/([^/]+)\/queries$/.exec(req.path);
      const project = decodeURIComponent((insert ?? query)?.[1] ?? '');
      if (!insert && !query) return googleError(404, 'NOT_FOUND', 'notFound', `Not found: ${req.path}`);
      if (project !== opts.projectId) return googleError(403, 'PERMISSION_DENIED', 'accessDenied', `Access Denied: Project ${project}: User does not have bigquery.jobs.create permission in project ${project}.`);
      if (query) {
        const answer = runQuery(req.raw);
        if (slow === 0 || answer.status !== 200) return answer;
        // Still running after timeoutMs: BigQuery answers the job reference without a result.
        slow--;
        const jobReference = (JSON.parse(answer.body!) as { jobReference: { jobId: string } }).jobReference;
        pendingJobs.set(jobReference.jobId, answer);
        return json(200, { kind: 'bigquery#queryResponse', jobReference, jobComplete: false });
      }
      const [, , dataset, table] = insert!;
      if (dataset !== opts.dataset || !(table! in opts.tables)) return googleError(404, 'NOT_FOUND', 'notFound', `Not found: Table ${project}:${dataset}.${table}`);
      return insertAll(table!, req.raw, req.bytes);
    },
    { port: opts.port },
  );
  tokenUri = `${fake.url}/token`;
  return {
    ...fake,
    tokenUri,
    tables,
    queries,
    tokensIssued: () => issued,
    slowJobs: (n) => void (slow = n),
    expireTokens() {
      for (const k of tokens.keys()) tokens.set(k, 0);
    },
  };
}
