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


/**
 * Validate input with a schema; the first problem becomes a 400 `ERR_INVALID_BODY` naming the field
 * (zod messages describe the expectation, never the value).
 */
export function parseWith<T>(schema: z.ZodType<T>, raw: unknown): T {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new TagrelayError('ERR_INVALID_BODY', issue.message, { field: issue.path.join('.') || undefined });
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
