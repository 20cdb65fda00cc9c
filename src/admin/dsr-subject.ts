/**
 * @module Data-subject lookup: one identifier → the stored forms it takes → every local row about that person.
 */
import { z } from 'zod';
import type { Hasher, SqlDb, SqlValue } from '../ports.js';
import type { PrivacyConfig } from '../privacy/config.js';
import { hashUserByRules } from '../privacy/hash.js';
import type { HashingRule } from '../privacy/hashing.js';
import { DESTINATION_IDENTITY_JSON_KEYS, DESTINATION_IDENTITY_KEYS, HASHING_RULES } from '../destinations/index.js';
import { TagrelayError, parseWith } from '../errors.js';

/** The identifiers a request may name a person by. */
export const SUBJECT_KINDS = ['user_id', 'client_id', 'email', 'phone'] as const;
/** One of {@link SUBJECT_KINDS}. */
export type SubjectKind = (typeof SUBJECT_KINDS)[number];

const id = z.string().trim().min(1, 'must not be empty').max(512, 'too long');

/** Exactly one identifier; `country` (ISO alpha-2) only helps read a phone number without a `+` prefix. */
export const subjectSchema = z
  .object({
    user_id: id.optional(),
    client_id: id.optional(),
    email: id.optional(),
    phone: id.optional(),
    country: z.string().regex(/^[A-Za-z]{2}$/, 'expected a 2-letter ISO 3166-1 country code').optional(),
  })
  .strict()
  .superRefine((body, ctx) => {
    const given = SUBJECT_KINDS.filter((k) => body[k] !== undefined);
    if (given.length === 0) ctx.addIssue({ code: 'custom', path: [SUBJECT_KINDS.join('|')], message: 'name the person by exactly one of user_id, client_id, email, phone' });
    else if (given.length > 1) ctx.addIssue({ code: 'custom', path: [given[1]!], message: `give only one identifier (${given.join(' and ')} given)` });
    if (body.country !== undefined && body.phone === undefined) ctx.addIssue({ code: 'custom', path: ['country'], message: 'country only applies to phone' });
  });

/** A validated request subject. The value is clear text: keep it out of logs, errors and answers. */
export interface Subject {
  kind: SubjectKind;
  value: string;
  country?: string;
}

/** Validate a body or query object; a 400 names the field, never the value. */
export function parseSubject(raw: unknown): Subject {
  const data = parseWith(subjectSchema, raw);
  const kind = SUBJECT_KINDS.find((k) => data[k] !== undefined)!;
  return { kind, value: data[kind]!, country: data.country };
}

/** Everything found about one subject, by stored key. */
export interface Located {
  /** Warehouse pseudonyms of the subject's user ids and client ids (after following identity_links). */
  userKeys: string[];
  clientKeys: string[];
  /** Events (local event ids) that are the subject's, found by any route. */
  eventIds: string[];
  /** The warehouse keys of an email or phone subject (`hashed_user.em`/`.ph` in warehouse rows). */
  hashKeys: string[];
}

/** Dependencies of {@link locateSubject}. */
export interface LocateDeps {
  db: SqlDb;
  hasher: Hasher;
  privacy: PrivacyConfig;
}

// D1 binds at most 100 parameters per statement; stay under it on every runtime.
const CHUNK = 90;

/** Run `query` over `values` in chunks, each chunk as a `(?, ?, …)` placeholder list. */
export async function inChunks<T>(values: readonly string[], query: (placeholders: string, chunk: string[]) => Promise<T[]>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < values.length; i += CHUNK) {
    const chunk = values.slice(i, i + CHUNK);
    out.push(...(await query(chunk.map(() => '?').join(', '), chunk)));
  }
  return out;
}

/**
 * The forms a clear email or phone takes in stored data, per hashing rule of the registry: the
 * SHA-256 each vendor rule sends (`meta`, `google`, `tiktok`, …) and the warehouse pseudonyms
 * (HMAC-SHA-256(salt, hash)). Empty when no rule can read the value.
 */
export async function storedForms(subject: Subject, field: 'em' | 'ph', deps: LocateDeps): Promise<{ rule: HashingRule; value: string }[]> {
  const country = subject.country?.toUpperCase() ?? deps.privacy.default_country;
  const user = subject.kind === 'email' ? { email: subject.value } : { phone: subject.value };
  const byRule = await hashUserByRules(user, HASHING_RULES, { hasher: deps.hasher, defaultCountry: country });
  const out: { rule: HashingRule; value: string }[] = [];
  for (const rule of HASHING_RULES) {
    const hash = byRule.get(rule.id)?.hashed[field];
    if (hash === undefined) continue;
    out.push({ rule, value: rule.pseudonymize ? await deps.hasher.hmacSha256Hex(deps.privacy.pseudonymization.salt, hash) : hash });
  }
  return out;
}

/** Keys in a vendor or warehouse payload whose values identify a person: every destination kind's identity keys. */
const IDENTITY_KEYS = DESTINATION_IDENTITY_KEYS;

/** True when a payload carries one of `needles` under an identity key (at any depth). */
export function payloadMentions(value: unknown, needles: ReadonlySet<string>, key?: string): boolean {
  if (typeof value === 'string') {
    if (key !== undefined && IDENTITY_KEYS.has(key) && needles.has(value)) return true;
    // A warehouse row keeps the event as JSON text (`data`).
    if (key !== undefined && DESTINATION_IDENTITY_JSON_KEYS.has(key) && value.startsWith('{')) {
      try {
        return payloadMentions(JSON.parse(value), needles);
      } catch {
        return false;
      }
    }
    return false;
  }
  if (Array.isArray(value)) return value.some((v) => payloadMentions(v, needles, key));
  if (value && typeof value === 'object') return Object.entries(value).some(([k, v]) => payloadMentions(v, needles, k));
  return false;
}

/** Event ids of dead-letter rows whose payload names the subject. */
async function payloadMatches(db: SqlDb, table: 'dead_letter', needles: Set<string>): Promise<string[]> {
  const rows = await inChunks([...needles], (_, chunk) =>
    db.all<{ event_id: string; payload: string }>(
      `SELECT event_id, payload FROM ${table} WHERE ${chunk.map(() => 'instr(payload, ?) > 0').join(' OR ')}`,
      chunk,
    ),
  );
  return rows.filter((r) => payloadMentions(JSON.parse(r.payload), needles)).map((r) => r.event_id);
}

/**
 * Find the subject's rows. The identifier's stored forms seed the search: a user id or client id as
 * its warehouse pseudonym HMAC(salt, value); an email or phone as HMAC(salt, SHA-256(Meta-normalized
 * value)) in `hashed_user`, whose events then contribute their user and client pseudonyms. Identity
 * links are followed one step each way (user → its clients; client → its users → their clients),
 * never transitively. An event on one of those clients counts only when it carries no user id or
 * the subject's. Pending vendor payloads are matched too, by the clear ids and unkeyed hashes they carry.
 */
export async function locateSubject(subject: Subject, deps: LocateDeps): Promise<Located> {
  const { db, hasher, privacy } = deps;
  const pseudonym = (v: string) => hasher.hmacSha256Hex(privacy.pseudonymization.salt, v);
  const users = new Set<string>();
  const clients = new Set<string>();
  const events = new Set<string>();
  const needles = new Set<string>();
  const hashKeys: string[] = [];

  if (subject.kind === 'user_id' || subject.kind === 'client_id') {
    const key = await pseudonym(subject.value);
    (subject.kind === 'user_id' ? users : clients).add(key);
    needles.add(subject.value).add(key);
  } else {
    const field = subject.kind === 'email' ? 'em' : 'ph';
    const forms = await storedForms(subject, field, deps);
    if (forms.length === 0) throw new TagrelayError('ERR_INVALID_BODY', `not a valid ${subject.kind === 'email' ? 'email address' : 'phone number'}`, { field: subject.kind });
    for (const f of forms) needles.add(f.value);
    const keys = forms.filter((f) => f.rule.pseudonymize).map((f) => f.value);
    hashKeys.push(...keys);
    const rows = await inChunks(keys, (ph, chunk) =>
      db.all<{ event_id: string; client_id: string | null; user_id: string | null }>(
        `SELECT event_id, client_id, user_id FROM events WHERE json_extract(data, '$.hashed_user.${field}') IN (${ph})`,
        chunk,
      ),
    );
    // The durable records of events not yet (or never) written to the warehouse.
    // A record holds the hashes its destinations may receive: the warehouse pseudonym, or only a vendor's hash.
    const records = await db.all<{ event_id: string; client_id: string | null; user_id: string | null }>(
      `SELECT event_id, client_key AS client_id, user_key AS user_id FROM records WHERE ` +
        forms.map((f) => `json_extract(data, '$.identity.hashed.${f.rule.id}.${field}') = ?`).join(' OR '),
      forms.map((f) => f.value),
    );
    for (const r of [...rows, ...records]) {
      events.add(r.event_id);
      if (r.user_id) users.add(r.user_id);
      if (r.client_id) clients.add(r.client_id);
    }
  }

  // client → its users; then user → its clients.
  const linkedUsers = await inChunks([...clients], (ph, chunk) =>
    db.all<{ user_key: string }>(`SELECT user_key FROM identity_links WHERE client_key IN (${ph})`, chunk),
  );
  for (const r of linkedUsers) users.add(r.user_key);
  const linkedClients = await inChunks([...users], (ph, chunk) =>
    db.all<{ client_key: string }>(`SELECT client_key FROM identity_links WHERE user_key IN (${ph})`, chunk),
  );
  for (const r of linkedClients) clients.add(r.client_key);

  for (const [table, userColumn, clientColumn] of [
    ['events', 'user_id', 'client_id'],
    ['records', 'user_key', 'client_key'],
  ] as const) {
    const byUser = await inChunks([...users], (ph, chunk) => db.all<{ event_id: string }>(`SELECT event_id FROM ${table} WHERE ${userColumn} IN (${ph})`, chunk));
    for (const r of byUser) events.add(r.event_id);
    const byClient = await inChunks([...clients], (ph, chunk) =>
      db.all<{ event_id: string; user_id: string | null }>(`SELECT event_id, ${userColumn} AS user_id FROM ${table} WHERE ${clientColumn} IN (${ph})`, chunk),
    );
    for (const r of byClient) if (r.user_id === null || users.has(r.user_id)) events.add(r.event_id);
  }

  for (const k of [...users, ...clients]) needles.add(k);
  for (const e of await payloadMatches(db, 'dead_letter', needles)) events.add(e);

  return { userKeys: [...users], clientKeys: [...clients], eventIds: [...events], hashKeys };
}

/** Rows of `table` whose `column` is in `values` (chunked). */
export function rowsIn<T = Record<string, SqlValue>>(db: SqlDb, table: string, column: string, values: readonly string[], order = 'rowid'): Promise<T[]> {
  return inChunks(values, (ph, chunk) => db.all<T>(`SELECT * FROM ${table} WHERE ${column} IN (${ph}) ORDER BY ${order}`, chunk));
}
