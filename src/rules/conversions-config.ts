/**
 * @module The `conversions` config key: rules that derive micro- and macro-conversions from incoming events, refused at load when they loop.
 */
import { z } from 'zod';
import { EVENT_NAME_PATTERN } from '../event.js';
import { safePatternSchema } from './patterns.js';

const scalar = z.union([z.string(), z.number(), z.boolean()]);
const eventName = z.string().regex(EVENT_NAME_PATTERN, 'an event name is a letter, then up to 39 letters, digits or underscores');
const oneOrMore = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);
const glob = z.string().min(1).max(256);

/** A condition on one param; every operator given must hold. A missing param passes only `exists: false` and `ne`. */
export const conditionSchema = z
  .object({
    eq: scalar.optional(),
    ne: scalar.optional(),
    gt: z.number().optional(),
    gte: z.number().optional(),
    lt: z.number().optional(),
    lte: z.number().optional(),
    in: z.array(scalar).min(1).optional(),
    exists: z.boolean().optional(),
    /** A regex (refused at load when it could backtrack for too long). */
    matches: safePatternSchema.optional(),
    /** A glob: `*` any run of characters, `?` one character. */
    glob: glob.optional(),
  })
  .strict()
  .refine((c) => Object.keys(c).length > 0, 'a condition needs at least one of eq, ne, gt, gte, lt, lte, in, exists, matches, glob');
export type Condition = z.infer<typeof conditionSchema>;

/** When a rule fires: the source event's name and conditions on its params and context. */
export const whenSchema = z
  .object({
    event: z.union([eventName, z.array(eventName).min(1)]),
    params: z.record(z.string().min(1), conditionSchema).optional(),
    /** The page path (`/pricing*`, a glob) or `{ regex }` / `{ glob }` on the path. */
    page: z.union([glob, z.object({ regex: safePatternSchema }).strict(), z.object({ glob }).strict()]).optional(),
    /** `mobile`, `tablet`, `desktop`, … (enrich.device). */
    device_type: oneOrMore.optional(),
    /** Campaign source and medium (utm_source / utm_medium, or derived from the referrer), case-insensitive. */
    source: oneOrMore.optional(),
    medium: oneOrMore.optional(),
    /** Countries (`DE`), subdivisions (`US-CA`) or region groups (`EEA`, `UK`, `US_PRIVACY_STATES`). */
    region: oneOrMore.optional(),
  })
  .strict();

/** What a rule emits. */
export const emitSchema = z
  .object({
    name: eventName,
    params: z
      .object({
        /** Params copied from the source event (`items` copies its items). */
        copy: z.array(z.string().min(1)).optional(),
        /** Params set to fixed values. */
        set: z.record(z.string().min(1), scalar).optional(),
      })
      .strict()
      .optional(),
    /** The conversion's value, sent as `params.value`. */
    value: z.number().optional(),
  })
  .strict();

export const conversionRuleSchema = z
  .object({
    /** Stable id: part of every derived event's id, so keep it once events were derived. */
    id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a rule id is 1–64 letters, digits, _ or -'),
    description: z.string().optional(),
    when: whenSchema,
    emit: emitSchema,
    kind: z.enum(['micro', 'macro']).default('micro'),
  })
  .strict();
export type ConversionRule = z.infer<typeof conversionRuleSchema>;

/** `a` or `[a, b]` as a list. */
export const asList = (v: string | string[]): string[] => (Array.isArray(v) ? v : [v]);

/** Refuse duplicate ids, a rule deriving from its own output, and loops across rules. */
function checkRules(rules: ConversionRule[], ctx: z.RefinementCtx): void {
  const ids = new Set<string>();
  rules.forEach((r, i) => {
    if (ids.has(r.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate rule id '${r.id}'` });
    ids.add(r.id);
    if (asList(r.when.event).includes(r.emit.name)) {
      ctx.addIssue({ code: 'custom', path: [i, 'emit', 'name'], message: `rule '${r.id}' would derive '${r.emit.name}' from its own output (it is in when.event): loops are refused` });
    }
  });
  // A loop across rules: a path of rules a → b → … that derives an event name it started from.
  const edges = new Map<string, { to: string; rule: number }[]>();
  rules.forEach((r, i) => {
    for (const from of asList(r.when.event)) if (from !== r.emit.name) edges.set(from, [...(edges.get(from) ?? []), { to: r.emit.name, rule: i }]);
  });
  const state = new Map<string, 'open' | 'done'>();
  const reported = new Set<number>();
  const visit = (name: string, trail: { name: string; rule: number }[]): void => {
    state.set(name, 'open');
    for (const edge of edges.get(name) ?? []) {
      const s = state.get(edge.to);
      if (s === 'open') {
        const start = trail.findIndex((t) => t.name === edge.to);
        if (!reported.has(edge.rule)) {
          reported.add(edge.rule);
          const words = trail.slice(start).map((t) => t.name).concat(edge.to).join(' → ');
          const via = [...trail.slice(start + 1).map((t) => t.rule), edge.rule].map((r) => `'${rules[r]!.id}'`).join(', ');
          ctx.addIssue({ code: 'custom', path: [edge.rule, 'emit', 'name'], message: `rules ${via} form a loop (${words}): a rule may not derive, directly or through other rules, from its own output` });
        }
      } else if (s === undefined) visit(edge.to, [...trail, { name: edge.to, rule: edge.rule }]);
    }
    state.set(name, 'done');
  };
  for (const name of edges.keys()) if (!state.has(name)) visit(name, [{ name, rule: -1 }]);
}

/** The `conversions` config key: a list of rules, checked for duplicates and loops. */
export const conversionsSchema = z.array(conversionRuleSchema).default([]).superRefine(checkRules);
