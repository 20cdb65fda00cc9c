/**
 * @module A small Dockerfile parser and `.dockerignore` matcher, enough to interpret tagrelay's recipe without an engine.
 */

/** One instruction, continuation lines joined. `exec` is set for the JSON (exec) form. */
export interface Instruction {
  keyword: string;
  flags: Record<string, string>;
  args: string;
  exec?: string[];
  line: number;
}

/** One build stage: its base image, optional `AS` name and instructions. */
export interface Stage {
  index: number;
  from: string;
  name?: string;
  instructions: Instruction[];
}

const FLAGGED = new Set(['FROM', 'COPY', 'ADD', 'RUN', 'HEALTHCHECK']);

/** Split leading `--flag[=value]` tokens off an instruction's arguments. */
function takeFlags(rest: string): { flags: Record<string, string>; rest: string } {
  const flags: Record<string, string> = {};
  let m: RegExpMatchArray | null;
  while ((m = rest.match(/^--([a-z-]+)(?:=(\S*))?\s+/))) {
    flags[m[1]!] = m[2] ?? 'true';
    rest = rest.slice(m[0].length);
  }
  return { flags, rest };
}

/** Parse a Dockerfile into stages (default escape character, comments dropped even inside continuations). */
export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  let buffer = '';
  let startLine = 0;
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    if (buffer === '') startLine = i + 1;
    if (/\\\s*$/.test(raw)) {
      buffer += raw.replace(/\\\s*$/, '');
      return;
    }
    buffer += raw;
    const m = buffer.trim().match(/^(\S+)\s*([\s\S]*)$/);
    buffer = '';
    if (!m) return;
    const keyword = m[1]!.toUpperCase();
    const { flags, rest } = FLAGGED.has(keyword) ? takeFlags(m[2]!) : { flags: {}, rest: m[2]! };
    const instruction: Instruction = { keyword, flags, args: rest.trim(), line: startLine };
    if (instruction.args.startsWith('[')) instruction.exec = JSON.parse(instruction.args) as string[];
    if (keyword === 'FROM') {
      const [from, as, name] = instruction.args.split(/\s+/);
      stages.push({ index: stages.length, from: from!, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
      return;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`line ${startLine}: ${keyword} before FROM`);
    stage.instructions.push(instruction);
  });
  return stages;
}

/** Split a shell string on whitespace, honouring single and double quotes. */
export function shellWords(text: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else word = (word ?? '') + ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      word ??= '';
    } else if (/\s/.test(ch)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? '') + ch;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** Split a shell command on top-level `&&` (outside quotes) into its steps. */
export function splitAndChain(command: string): string[] {
  const steps: string[] = [];
  let quote: string | undefined;
  let current = '';
  for (let i = 0; i < command.length; i++) {
    const ch = command[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === '&' && command[i + 1] === '&') {
      steps.push(current.trim());
      current = '';
      i++;
      continue;
    }
    current += ch;
  }
  steps.push(current.trim());
  return steps.filter((s) => s !== '');
}

/** `ENV K=V K2="v 2"` (or the legacy `ENV K V`) as a record. */
export function parseEnv(args: string): Record<string, string> {
  const words = shellWords(args);
  if (words.length === 2 && !words[0]!.includes('=')) return { [words[0]!]: words[1]! };
  return Object.fromEntries(
    words.map((w) => {
      const eq = w.indexOf('=');
      if (eq <= 0) throw new Error(`ENV: cannot read ${JSON.stringify(w)}`);
      return [w.slice(0, eq), w.slice(eq + 1)];
    }),
  );
}

function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*' && pattern[i + 1] === '*') {
      // `**/` matches any number of directories, including none.
      re += pattern[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += pattern[i + 2] === '/' ? 2 : 1;
    } else if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** A `.dockerignore` as a predicate on context-relative paths (last matching rule wins; `!` re-includes). */
export function dockerignore(text: string): { ignored(path: string): boolean; hasExceptions: boolean } {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const body = (negate ? l.slice(1) : l).trim().replace(/^\/+/, '').replace(/\/+$/, '');
      return { negate, re: globToRegExp(body) };
    });
  return {
    hasExceptions: rules.some((r) => r.negate),
    ignored(path: string): boolean {
      const parts = path.split('/');
      // A rule that matches a parent directory excludes everything under it.
      const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
      let ignored = false;
      for (const rule of rules) {
        if (prefixes.some((p) => rule.re.test(p))) ignored = !rule.negate;
      }
      return ignored;
    },
  };
}
