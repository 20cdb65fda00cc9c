/**
 * @module The one error type of tagrelay: a string-literal `code`, an HTTP status, and no PII in messages.
 */
import type { z } from 'zod';

/** Every machine-readable error code tagrelay answers with. */
export type ErrorCode =
  | 'ERR_PAYLOAD_TOO_LARGE'
  | 'ERR_UNSUPPORTED_MEDIA_TYPE'
  | 'ERR_MALFORMED_JSON'
  | 'ERR_INVALID_BODY'
  | 'ERR_TOO_MANY_EVENTS'
  | 'ERR_INVALID_EVENT'
  | 'ERR_INVALID_NAME'
  | 'ERR_TOO_MANY_PARAMS'
  | 'ERR_VALUE_TOO_LONG'
  | 'ERR_INVALID_TYPE'
  | 'ERR_PLAN_VIOLATION'
  | 'ERR_CONFIG'
  | 'ERR_NOT_FOUND'
  | 'ERR_UNAUTHORIZED'
  | 'ERR_FORBIDDEN'
  | 'ERR_STORE_UNAVAILABLE'
  | 'ERR_INVALID_QUERY'
  | 'ERR_UPSTREAM_UNAVAILABLE'
  | 'ERR_INTERNAL';

const STATUS: Record<ErrorCode, number> = {
  ERR_PAYLOAD_TOO_LARGE: 413,
  ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  ERR_MALFORMED_JSON: 400,
  ERR_INVALID_BODY: 400,
  ERR_TOO_MANY_EVENTS: 400,
  ERR_INVALID_EVENT: 400,
  ERR_INVALID_NAME: 400,
  ERR_TOO_MANY_PARAMS: 400,
  ERR_VALUE_TOO_LONG: 400,
  ERR_INVALID_TYPE: 400,
  ERR_PLAN_VIOLATION: 400,
  ERR_CONFIG: 500,
  ERR_NOT_FOUND: 404,
  ERR_UNAUTHORIZED: 401,
  ERR_FORBIDDEN: 403,
  ERR_STORE_UNAVAILABLE: 503,
  ERR_INVALID_QUERY: 400,
  ERR_UPSTREAM_UNAVAILABLE: 502,
  ERR_INTERNAL: 500,
};

/**
 * Base error. `message` must never contain raw PII or secrets: name the field, not its value.
 *
 * @example
 * throw new TagrelayError('ERR_PAYLOAD_TOO_LARGE', 'body exceeds 262144 bytes')
 */
export class TagrelayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly field?: string;

  constructor(code: ErrorCode, message: string, options?: { field?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TagrelayError';
    this.code = code;
    this.status = STATUS[code];
    this.field = options?.field;
  }

  /** The JSON body every error response carries. */
  toBody(): { error: { code: ErrorCode; message: string; field?: string } } {
    return { error: { code: this.code, message: this.message, ...(this.field ? { field: this.field } : {}) } };
  }
}


/** What stands in for a value or a name the client chose, in every message. */
const MASK = '****';

/** The unit a size rule counts, by the origin zod reports. */
const UNITS: Record<string, string> = { string: 'characters', array: 'items', set: 'items', file: 'bytes' };

/**
 * The rule an input broke, in words, for every issue zod raises itself (a message the schema's author
 * wrote takes precedence and is kept). Reads only the rule's own fields (expected type, limits,
 * pattern, allowed values), never `input`; an unknown key is masked, as the key may be an address.
 */
function ruleOf(issue: z.core.$ZodRawIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected}`;
    case 'too_big':
    case 'too_small': {
      const bound = issue.code === 'too_big' ? (issue.inclusive ? 'at most' : 'less than') : issue.inclusive ? 'at least' : 'more than';
      const limit = String(issue.code === 'too_big' ? issue.maximum : issue.minimum);
      const unit = UNITS[issue.origin];
      return unit ? `must have ${bound} ${limit} ${unit}` : `must be ${bound} ${limit}`;
    }
    case 'invalid_format':
      return issue.format === 'regex' && issue.pattern ? `must match ${issue.pattern}` : `must be a valid ${issue.format}`;
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}`;
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length === 1 ? '' : 's'} ${issue.keys.map(() => MASK).join(', ')}`;
    case 'invalid_key':
      return 'invalid key';
    case 'invalid_element':
      return 'invalid element';
    case 'invalid_union':
      return 'matches none of the accepted forms';
    case 'invalid_value':
      return `expected ${issue.values.length === 1 ? '' : 'one of '}${issue.values.map((v) => (typeof v === 'string' ? JSON.stringify(v) : String(v))).join(', ')}`;
    default:
      return 'invalid';
  }
}

/** The names each schema declares (object keys, enum and literal values), computed once per schema. */
const declaredNames = new WeakMap<object, Set<string>>();

/** Walk a zod schema's definition (objects, records, unions, wrappers, lazy) collecting declared names. */
function collectNames(node: unknown, names: Set<string>, seen: Set<unknown>): void {
  const zod = (node as { _zod?: { def?: Record<string, unknown>; values?: Set<unknown> } } | null)?._zod;
  if (!zod || seen.has(node)) return;
  seen.add(node);
  for (const v of zod.values ?? []) if (typeof v === 'string') names.add(v);
  const def = zod.def ?? {};
  if (def.type === 'lazy' && typeof def.getter === 'function') collectNames((def.getter as () => unknown)(), names, seen);
  for (const [key, value] of Object.entries(def)) {
    if (key === 'shape' && value && typeof value === 'object') {
      for (const [name, child] of Object.entries(value)) {
        names.add(name);
        collectNames(child, names, seen);
      }
    } else if (Array.isArray(value)) for (const v of value) collectNames(v, names, seen);
    else collectNames(value, names, seen);
  }
}

/**
 * The issue's path with every segment the schema does not declare masked: a record's or a map's keys
 * are the client's text (`{"consent": {"ada@example.com": …}}`), an object's keys and indices are not.
 * A custom issue's path is the schema author's, like its message, and is kept.
 */
function pathOf(schema: z.ZodType, issue: z.core.$ZodIssue): string {
  if (issue.code === 'custom') return issue.path.map(String).join('.');
  const path = issue.path;
  let names = declaredNames.get(schema);
  if (!names) {
    names = new Set();
    collectNames(schema, names, new Set());
    declaredNames.set(schema, names);
  }
  return path.map((seg) => (typeof seg === 'number' || (typeof seg === 'string' && names.has(seg)) ? String(seg) : MASK)).join('.');
}

/**
 * Validate input with a schema; the first problem becomes a 400 `ERR_INVALID_BODY` whose message names
 * the field and the rule (`consent.analytics_storage: expected one of "granted", "denied"`) and never the
 * value; unknown keys and undeclared path segments read `****`. Messages a schema's author wrote
 * (`.min(1, 'must not be empty')`, `ctx.addIssue`) are kept: they must not quote the input either.
 *
 * @example
 * const choice = parseWith(consentChoiceSchema, await readJsonBody(c.req.raw))
 */
export function parseWith<T>(schema: z.ZodType<T>, raw: unknown): T {
  const parsed = schema.safeParse(raw, { error: ruleOf });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = pathOf(schema, issue) || undefined;
    throw new TagrelayError('ERR_INVALID_BODY', field ? `${field}: ${issue.message}` : issue.message, { field });
  }
  return parsed.data;
}

/** A request's JSON body, or a 400 `ERR_MALFORMED_JSON`. */
export async function readJsonBody(request: Request): Promise<unknown> {
  try {
    return await request.json();
  } catch {
    throw new TagrelayError('ERR_MALFORMED_JSON', 'body is not valid JSON');
  }
}
