/**
 * @module Patterns in config: regexes refused when they could backtrack for too long, bounded matching, and globs.
 */
import { z } from 'zod';

/** Longest string a configured regex is tested against; a longer string never matches. */
export const MAX_MATCH_LENGTH = 512;
/** Longest regex source accepted in config. */
export const MAX_PATTERN_LENGTH = 256;
/**
 * Upper bound on backtracking steps a pattern may need on a {@link MAX_MATCH_LENGTH} string, as
 * estimated by {@link regexProblem}: one quadratic scan (about a millisecond on V8).
 */
const STEP_BUDGET = MAX_MATCH_LENGTH * MAX_MATCH_LENGTH;

/** One open group while scanning: does it repeat inside, does it hold alternatives. */
interface Frame {
  repeats: boolean;
  alternatives: number;
}

/** The quantifier at `i` (`*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}`), with its length; `undefined` when none. */
function quantifierAt(source: string, i: number): { min: number; max: number; length: number } | undefined {
  const c = source[i];
  let q: { min: number; max: number; length: number } | undefined;
  if (c === '*') q = { min: 0, max: Infinity, length: 1 };
  else if (c === '+') q = { min: 1, max: Infinity, length: 1 };
  else if (c === '?') q = { min: 0, max: 1, length: 1 };
  else if (c === '{') {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i));
    if (m) q = { min: Number(m[1]), max: m[2] === undefined ? Number(m[1]) : m[3] ? Number(m[3]) : Infinity, length: m[0].length };
  }
  if (q && source[i + q.length] === '?') q.length++; // lazy: same backtracking
  return q;
}

const SPECIAL = new Set('\\^$.|?*+()[]{}');

/**
 * True when the single-character atom `atom` cannot match the mandatory token at `at` (a literal
 * character, an escaped punctuation character, or the final `$`).
 */
function endsRun(atom: string, source: string, at: number): boolean {
  let literal: string;
  let next = at + 1;
  if (source[at] === '$' && at === source.length - 1) return true;
  if (source[at] === '\\' && /[^A-Za-z0-9]/.test(source[at + 1] ?? 'a')) {
    literal = source[at + 1]!;
    next++;
  } else if (source[at] !== undefined && !SPECIAL.has(source[at]!)) literal = source[at]!;
  else return false;
  const q = quantifierAt(source, next);
  if (q && q.min === 0) return false;
  try {
    return !new RegExp(`^(?:${atom})$`).test(literal);
  } catch {
    return false;
  }
}

/**
 * Why a regex source is refused, or `undefined` when it is accepted. Refused: sources that do not
 * compile or are longer than {@link MAX_PATTERN_LENGTH}; backreferences; a repeated group that
 * itself repeats or holds alternatives (`(a+)+`, `(a|ab)*`: exponential backtracking); and patterns
 * whose estimated backtracking on a {@link MAX_MATCH_LENGTH} string exceeds one quadratic scan.
 * The estimate multiplies the range of each repetition (open-ended: the string length), of each
 * group's alternatives, and the string length once more for a search not anchored with `^`; a run
 * that cannot match what must follow it (`[a-z]+_`, `[^/]+/`, `\d+$`) scans once instead of
 * multiplying. So `.*.*x` and `^a?.*.*x` are refused, `^.*\.pdf$` and `^[a-z]+_[a-z]+$` accepted.
 * Conservative, not exact.
 *
 * @example
 * regexProblem('(a+)+$') // 'nested repetition …'
 * regexProblem('^[A-Z]{3}$') // undefined
 */
export function regexProblem(source: string): string | undefined {
  if (source.length > MAX_PATTERN_LENGTH) return `pattern is longer than ${MAX_PATTERN_LENGTH} characters`;
  try {
    new RegExp(source);
  } catch {
    return 'not a valid regular expression';
  }
  const stack: Frame[] = [{ repeats: false, alternatives: 1 }];
  // Times the next element may be tried per start position, and the costliest element seen so far.
  let entries = 1;
  let peak = 1;
  let topLevelAlternation = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    const atomStart = i;
    let group: Frame | undefined;
    if (c === '\\') {
      const next = source[i + 1] ?? '';
      if (/[1-9]/.test(next) || next === 'k') return 'backreferences are not allowed (they can backtrack without bound)';
      i++;
    } else if (c === '[') {
      for (i++; i < source.length && source[i] !== ']'; i++) if (source[i] === '\\') i++;
    } else if (c === '(') {
      stack.push({ repeats: false, alternatives: 1 });
      if (source[i + 1] === '?') i += source[i + 2] === '<' && source[i + 3] !== '=' && source[i + 3] !== '!' ? source.indexOf('>', i) - i : source[i + 2] === '<' ? 3 : 2;
      continue;
    } else if (c === ')') {
      const frame = stack.pop()!;
      const parent = stack[stack.length - 1]!;
      parent.repeats ||= frame.repeats;
      entries *= frame.alternatives;
      group = frame; // a quantifier right after applies to the whole group
    } else if (c === '|') {
      stack[stack.length - 1]!.alternatives++;
      if (stack.length === 1) topLevelAlternation = true;
      continue;
    }
    const q = quantifierAt(source, i + 1);
    if (!q) continue;
    i += q.length;
    const repeats = q.max > 1;
    if (repeats && group && (group.repeats || group.alternatives > 1)) {
      return group.repeats
        ? 'nested repetition such as (a+)+ can backtrack exponentially; repeat a character class instead'
        : 'a repeated group with alternatives such as (a|ab)* can backtrack exponentially; use a character class or drop the repetition';
    }
    if (repeats) stack[stack.length - 1]!.repeats = true;
    const factor = Math.min(q.max - q.min + 1, MAX_MATCH_LENGTH);
    // `[a-z]+_`: a run that cannot match what must follow it scans once per entry and gives chars
    // back only to fail at once, so what follows is not tried more often because of it.
    if (!group && endsRun(source.slice(atomStart, i - q.length + 1), source, i + 1)) peak = Math.max(peak, entries * factor);
    else entries *= factor;
  }
  let steps = Math.max(entries * stack[0]!.alternatives, peak);
  if (source[0] !== '^' || topLevelAlternation) steps *= MAX_MATCH_LENGTH; // tried at every start position
  if (steps > STEP_BUDGET) {
    return `pattern could take too long on a ${MAX_MATCH_LENGTH}-character value (too many open-ended repetitions); anchor it with ^ and use fewer * + {n,}`;
  }
  return undefined;
}

/** A regex source in config, refused at load when {@link regexProblem} finds a problem. */
export const safePatternSchema = z.string().superRefine((source, ctx) => {
  const problem = regexProblem(source);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/**
 * Test a value against a configured regex; values longer than {@link MAX_MATCH_LENGTH} never match
 * (which bounds the time one test can take).
 */
export function boundedTest(re: RegExp, value: string): boolean {
  return value.length <= MAX_MATCH_LENGTH && re.test(value);
}

/**
 * Match a glob: `*` is any run of characters (including `/`), `?` one character, everything else
 * literal. Linear in practice: only the last `*` is backtracked to.
 *
 * @example
 * globMatch('/pricing*', '/pricing/teams') // true
 * globMatch('*.pdf', '/brochures/a.PDF') // false: globs are case-sensitive
 */
export function globMatch(glob: string, value: string): boolean {
  let g = 0;
  let v = 0;
  let star = -1;
  let mark = 0;
  while (v < value.length) {
    if (g < glob.length && (glob[g] === '?' || (glob[g] !== '*' && glob[g] === value[v]))) {
      g++;
      v++;
    } else if (g < glob.length && glob[g] === '*') {
      star = g++;
      mark = v;
    } else if (star >= 0) {
      g = star + 1;
      v = ++mark;
    } else return false;
  }
  while (glob[g] === '*') g++;
  return g === glob.length;
}
