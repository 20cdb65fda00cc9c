/**
 * @module Load configuration from YAML/JSON text: `${ENV}` references, zod validation, line-precise errors.
 */
import { LineCounter, parseDocument, isScalar, type Node } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema.js';

/** One problem in a config file, located as precisely as the file allows. */
export interface ConfigIssue {
  /** `destinations[1].endpoint` */
  path: string;
  message: string;
  line?: number;
  column?: number;
}

/** A config that cannot be used. `message` lists every issue as `file:line:col path: message`. */
export class ConfigError extends Error {
  readonly issues: ConfigIssue[];
  readonly file: string;
  constructor(file: string, issues: ConfigIssue[]) {
    super(
      `invalid config ${file}:\n` +
        issues.map((i) => `  ${file}${i.line ? `:${i.line}:${i.column}` : ''} ${i.path || '(root)'}: ${i.message}`).join('\n'),
    );
    this.name = 'ConfigError';
    this.file = file;
    this.issues = issues;
  }
}

/** `a.b[1].c` from a zod/yaml path. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('');
}

const ENV_REF = /\$\{([A-Z_][A-Z0-9_]*)(?::-([^}]*))?\}/g;

/** Replace `${VAR}` and `${VAR:-default}` in every string of the tree; collect unset variables. */
function substitute(value: unknown, env: Record<string, string | undefined>, path: PropertyKey[], missing: ConfigIssue[]): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_REF, (_m, name: string, fallback: string | undefined) => {
      const v = env[name];
      if (v !== undefined && v !== '') return v;
      if (fallback !== undefined) return fallback;
      missing.push({ path: formatPath(path), message: `environment variable ${name} is not set` });
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substitute(v, env, [...path, i], missing));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, env, [...path, k], missing)]));
  }
  return value;
}

/** Describe a zod issue in words an editor of the file understands. */
function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown key(s) ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
  return issue.message;
}

/**
 * The issues worth showing for one zod issue, with absolute paths. A union that failed in every
 * branch reports the branch that got furthest (`p: { type: float }` against `type-name | object`
 * names `p.type`, not "Invalid input" at `p`); a bad record key reports why the key is bad.
 */
function flatten(issue: z.core.$ZodIssue, prefix: readonly PropertyKey[] = []): { path: PropertyKey[]; message: string }[] {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'invalid_key' && issue.issues.length > 0) return [{ path, message: issue.issues[0]!.message }];
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    let best: { path: PropertyKey[]; message: string }[] | undefined;
    let bestScore = 0;
    for (const branch of issue.errors) {
      const flat = branch.flatMap((i) => flatten(i, path));
      // A branch whose only complaint is the value's type at the union itself did not get anywhere.
      const wrongType = branch.every((i) => i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_value'));
      const score = wrongType ? 0 : 1 + Math.max(...flat.map((f) => f.path.length));
      if (score > bestScore) [best, bestScore] = [flat, score];
    }
    if (best) return best;
  }
  return [{ path, message: describe(issue) }];
}

/**
 * Parse and validate config text.
 *
 * @example
 * const config = parseConfig(yamlText, 'config/default.yaml', process.env)
 */
export function parseConfig(text: string, file: string, env: Record<string, string | undefined>): Config {
  return parseYamlWith(configSchema, text, file, env);
}

/**
 * Parse YAML/JSON text against any schema with the same `${ENV}` references and line-precise
 * errors as the config file (a tracking plan file for `tagrelay plan check`, for instance).
 *
 * @example
 * const plan = parseYamlWith(trackingPlanSchema, text, 'plans/next.yaml', process.env)
 */
export function parseYamlWith<S extends z.ZodType>(schema: S, text: string, file: string, env: Record<string, string | undefined>): z.output<S> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => {
        const pos = lines.linePos(e.pos[0]);
        return { path: '', message: e.message.split('\n')[0]!, line: pos.line, column: pos.col };
      }),
    );
  }
  const locate = (path: readonly PropertyKey[]): Pick<ConfigIssue, 'line' | 'column'> => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n) as unknown[], true) as Node | undefined;
      const range = node && (isScalar(node) || typeof node === 'object') ? node.range : undefined;
      if (range) {
        const pos = lines.linePos(range[0]);
        return { line: pos.line, column: pos.col };
      }
    }
    return {};
  };
  const missing: ConfigIssue[] = [];
  const raw = substitute(doc.toJS() ?? {}, env, [], missing);
  if (missing.length > 0) throw new ConfigError(file, missing.map((m) => ({ ...m, ...locate(pathOf(m.path)) })));
  const result = schema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(
      file,
      result.error.issues.flatMap((issue) => flatten(issue)).map((i) => ({ path: formatPath(i.path), message: i.message, ...locate(i.path) })),
    );
  }
  return result.data;
}

/** Inverse of {@link formatPath}. */
function pathOf(text: string): PropertyKey[] {
  return [...text.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : m[1]!));
}

/** The default configuration (no file): embedded SQLite warehouse, strict consent defaults. */
export function defaultConfig(): Config {
  return configSchema.parse({});
}
