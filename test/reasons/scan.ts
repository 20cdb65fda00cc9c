/**
 * @module Source scanner for the catalog test: the reason codes src/ writes, read from string literals with the TypeScript parser.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { REASON_AREAS } from '../../src/reasons/catalog.js';

/** Areas whose codes the catalog must describe: the catalog's (core areas and every registered destination's), and `retention`. */
export const AREA = `(?:${[...Object.keys(REASON_AREAS), 'retention'].join('|')})`;

/** What one source text writes. */
export interface Emitted {
  /** Complete codes without argument: `'privacy.ip_dropped'`, `` `ga4.too_many_params:${name}` `` → `ga4.too_many_params`. */
  codes: Set<string>;
  /** Code prefixes completed at run time: `` `consent.explicit_${value}` `` → `consent.explicit_`. */
  prefixes: Set<string>;
  /** The text of every literal piece (strings, template heads, middles and tails), for marker checks. */
  texts: string[];
  /** Literal text given to an `error:` property (string, or a template's head): delivery errors. */
  errors: string[];
}

/** A code at the start of a literal: the code must end at the literal's end, at `:`, or (template head) at the substitution. */
const LEADING = new RegExp(`^(${AREA}\\.[a-z0-9_]+)(:|$)`);
/** A code in single quotes inside a literal (SQL: `SELECT …, 'retention.outbox_expired', …`). */
const QUOTED = new RegExp(`'(${AREA}\\.[a-z0-9_]+)'`, 'g');

/**
 * Scan one source text. Comments are trivia to the parser, so `@example` lines and prose never count;
 * config paths (`consent.receipts.signing_key`) and messages (`identity.cookie_domain is not …`) do not
 * end at `:` or the literal's end, so they are not codes.
 */
export function scanSource(text: string, fileName = 'source.ts'): Emitted {
  const out: Emitted = { codes: new Set(), prefixes: new Set(), texts: [], errors: [] };
  const file = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const leading = (literal: string, isHead: boolean): void => {
    const whole = new RegExp(`^${AREA}\\.[a-z0-9_]+$`).exec(literal);
    if (isHead && whole) {
      // `ga4.http_${status}`: a code completed by the substitution.
      out.prefixes.add(whole[0]);
    } else {
      // `ga4.${err}` has nothing after the dot: a delivery error, matched by its marker instead.
      const m = LEADING.exec(literal);
      if (m) out.codes.add(m[1]!);
    }
    for (const q of literal.matchAll(QUOTED)) out.codes.add(q[1]!);
  };
  const visit = (node: ts.Node): void => {
    // A key of an object literal (a reason table in a destination's file) names a code; it does not write one.
    const isKey = ts.isStringLiteral(node) && ts.isPropertyAssignment(node.parent) && node.parent.name === node;
    if (isKey) {
      // Not text a destination writes either.
    } else if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
      out.texts.push(node.text);
      leading(node.text, false);
    } else if (ts.isTemplateExpression(node)) {
      out.texts.push(node.head.text, ...node.templateSpans.map((s) => s.literal.text));
      leading(node.head.text, true);
      for (const s of node.templateSpans) for (const q of s.literal.text.matchAll(QUOTED)) out.codes.add(q[1]!);
    }
    if (ts.isPropertyAssignment(node) && node.name.getText(file) === 'error') {
      const v = node.initializer;
      if (ts.isStringLiteral(v) || ts.isNoSubstitutionTemplateLiteral(v)) out.errors.push(v.text);
      else if (ts.isTemplateExpression(v)) out.errors.push(v.head.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return out;
}

/** Scan every `.ts` file under a directory (recursively), except paths starting with an `exclude` entry, and merge the results. */
export function scanDirectory(dir: string, exclude: readonly string[] = []): Emitted {
  const all: Emitted = { codes: new Set(), prefixes: new Set(), texts: [], errors: [] };
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !exclude.some((e) => f.startsWith(e)));
  for (const f of files) {
    const one = scanSource(readFileSync(join(dir, f), 'utf8'), f);
    one.codes.forEach((c) => all.codes.add(c));
    one.prefixes.forEach((p) => all.prefixes.add(p));
    all.texts.push(...one.texts);
    all.errors.push(...one.errors);
  }
  return all;
}
