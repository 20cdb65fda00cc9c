/**
 * @module Event naming convention: snake_case of at most 40 characters, with a suggestion for near misses.
 */

/** Longest event name GA4 accepts. */
export const MAX_NAME_LENGTH = 40;

const SNAKE_CASE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;
/** Prefixes GA4 reserves for its own events. */
const RESERVED_PREFIXES = ['ga_', 'google_', 'firebase_'] as const;

/** What is wrong with a name, in shape words (never the name itself). */
export interface NamingProblem {
  /** `camelCase`, `upper-case letters`, `longer than 40 characters`, … */
  problem: string;
  /** A name that follows the convention, when one can be proposed. */
  suggestion?: string;
}

/**
 * `addToCart` → `add_to_cart`, `Purchase` → `purchase`, `view-HTML page` → `view_html_page`.
 *
 * @example
 * toSnakeCase('addToCart') // 'add_to_cart'
 */
export function toSnakeCase(name: string): string {
  return name
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .toLowerCase()
    .replace(/^[_0-9]+|_+$/g, '');
}

/**
 * Optimal string alignment distance (Levenshtein plus adjacent transpositions), stopping early once
 * it exceeds `limit`.
 */
export function editDistance(a: string, b: string, limit = Infinity): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2]! + 1);
      row.push(d);
      best = Math.min(best, d);
    }
    if (best > limit) return limit + 1;
    prev2 = prev;
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * The planned name nearest to `name` when it is close enough to be a typo (at most one edit per
 * five characters, at least one), ties broken alphabetically; `undefined` otherwise.
 *
 * @example
 * nearestName('add_to_crat', ['add_to_cart', 'purchase']) // 'add_to_cart'
 */
export function nearestName(name: string, planned: readonly string[]): string | undefined {
  const limit = Math.max(1, Math.floor(name.length / 5));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of planned) {
    const d = editDistance(name, candidate, limit);
    if (d < bestDistance || (d === bestDistance && best !== undefined && candidate < best)) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/**
 * The planned name `name` most likely meant: its snake_case form when that is planned, else the
 * nearest planned name to it (or to its snake_case form); `undefined` when none is close.
 *
 * @example
 * plannedName('addToCart', ['add_to_cart']) // 'add_to_cart'
 * plannedName('purchse', ['purchase']) // 'purchase'
 */
export function plannedName(name: string, planned: readonly string[]): string | undefined {
  const snake = toSnakeCase(name);
  if (snake !== name && planned.includes(snake)) return snake;
  const near = nearestName(snake || name, planned) ?? nearestName(name.toLowerCase(), planned);
  return near !== name ? near : undefined;
}

/** A name to suggest for `name`: the planned name it most likely meant, else its snake_case form when that differs and fits. */
export function suggestName(name: string, planned: readonly string[]): string | undefined {
  const near = plannedName(name, planned);
  if (near) return near;
  const snake = toSnakeCase(name);
  if (snake && snake !== name && snake.length <= MAX_NAME_LENGTH && SNAKE_CASE.test(snake)) return snake;
  return undefined;
}

/**
 * What breaks the naming convention in `name`, or `undefined` when it follows it.
 *
 * @example
 * namingProblem('addToCart', ['add_to_cart']) // { problem: 'camelCase', suggestion: 'add_to_cart' }
 * namingProblem('add_to_cart', []) // undefined
 */
export function namingProblem(name: string, planned: readonly string[] = []): NamingProblem | undefined {
  let problem: string | undefined;
  if (name.length > MAX_NAME_LENGTH) problem = `longer than ${MAX_NAME_LENGTH} characters`;
  else if (!SNAKE_CASE.test(name)) {
    if (/^[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)*$/.test(name)) problem = 'PascalCase';
    else if (/^[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)+$/.test(name)) problem = 'camelCase';
    else if (/[A-Z]/.test(name)) problem = 'upper-case letters';
    else if (/__|_$/.test(name)) problem = 'a doubled or trailing underscore';
    else problem = 'characters other than a-z, 0-9 and _';
  } else {
    const prefix = RESERVED_PREFIXES.find((p) => name.startsWith(p));
    if (prefix) problem = `the prefix ${prefix} GA4 reserves`;
  }
  if (!problem) return undefined;
  const suggestion = suggestName(name, planned);
  return suggestion ? { problem, suggestion } : { problem };
}
