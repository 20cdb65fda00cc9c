/**
 * @module The `tracking_plan` config key: the events a site means to send, with their params and item fields.
 */
import { z } from 'zod';
import { EVENT_NAME_PATTERN } from '../event.js';
import { safePatternSchema } from './patterns.js';
import { BUILT_IN_PLAN_NAMES } from './plan-ga4.js';

/** Types a param or item field can be checked against. `currency` is ISO 4217, `date` is ISO 8601 `YYYY-MM-DD`. */
export const PARAM_TYPES = ['string', 'number', 'integer', 'boolean', 'currency', 'date'] as const;
export type ParamType = (typeof PARAM_TYPES)[number];

const NUMERIC: ReadonlySet<string> = new Set(['number', 'integer']);
const TEXTUAL: ReadonlySet<string> = new Set(['string', 'currency', 'date']);

const scalar = z.union([z.string(), z.number(), z.boolean()]);

const ruleObject = z
  .object({
    type: z.enum(PARAM_TYPES).optional(),
    /** The param must be present. */
    required: z.boolean().optional(),
    /** The param must be present when any of these params is (GA4: `currency` when `value` is set). */
    required_with: z.array(z.string().min(1)).min(1).optional(),
    /** Allowed values. */
    enum: z.array(scalar).min(1).optional(),
    /** Bounds for numbers (inclusive). */
    min: z.number().optional(),
    max: z.number().optional(),
    /** A regex strings must match (refused at load when it could backtrack for too long). */
    pattern: safePatternSchema.optional(),
    description: z.string().optional(),
  })
  .strict()
  .superRefine((rule, ctx) => {
    const type = rule.type;
    if (rule.min !== undefined && rule.max !== undefined && rule.min > rule.max) {
      ctx.addIssue({ code: 'custom', path: ['min'], message: 'min is greater than max' });
    }
    if (type && !NUMERIC.has(type) && (rule.min !== undefined || rule.max !== undefined)) {
      ctx.addIssue({ code: 'custom', path: [rule.min !== undefined ? 'min' : 'max'], message: `min/max apply to numbers, not to type ${type}` });
    }
    if (type && !TEXTUAL.has(type) && rule.pattern !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['pattern'], message: `pattern applies to strings, not to type ${type}` });
    }
    const expected = type === undefined ? undefined : NUMERIC.has(type) ? 'number' : type === 'boolean' ? 'boolean' : 'string';
    rule.enum?.forEach((v, i) => {
      if (expected && typeof v !== expected) ctx.addIssue({ code: 'custom', path: ['enum', i], message: `enum value is not a ${type}` });
    });
  });

/** One param's rule: a type name alone (`transaction_id: string`) or the full object. */
export const paramRuleSchema = z.union([z.enum(PARAM_TYPES).transform((type): ParamRule => ({ type })), ruleObject]);
/** A validated param rule. */
export type ParamRule = z.infer<typeof ruleObject>;

/** Rules for an event's `items`. */
export const itemsRuleSchema = z
  .object({
    /** The event must carry at least one item. */
    required: z.boolean().optional(),
    /** Each item needs at least one of these fields (GA4: `[item_id, item_name]`). */
    one_of: z.array(z.string().min(1)).min(1).optional(),
    /** Rules per item field. */
    fields: z.record(z.string().min(1), paramRuleSchema).optional(),
  })
  .strict();
export type ItemsRule = z.infer<typeof itemsRuleSchema>;

/** One planned event. */
export const eventPlanSchema = z
  .object({
    description: z.string().optional(),
    params: z
      .record(z.string().min(1), paramRuleSchema)
      .optional()
      .superRefine((params, ctx) => {
        if (params && 'items' in params) ctx.addIssue({ code: 'custom', path: ['items'], message: "describe items under the event's `items:` key, not as a param" });
      }),
    items: itemsRuleSchema.optional(),
  })
  .strict();
export type EventPlan = z.infer<typeof eventPlanSchema>;

const eventName = z.string().regex(EVENT_NAME_PATTERN, 'an event name is a letter, then up to 39 letters, digits or underscores');

export const trackingPlanSchema = z
  .object({
    /** What happens to an event that breaks its plan: recorded and passed, rejected, or held in the dead-letter store. */
    mode: z.enum(['warn', 'drop', 'quarantine']).default('warn'),
    /** What happens to an event whose name is not in the plan. */
    unplanned: z.enum(['allow', 'warn', 'drop']).default('allow'),
    /** What happens to an unplanned event whose name is not snake_case of at most 40 characters. */
    naming: z.enum(['off', 'warn', 'drop']).default('warn'),
    /** Built-in plans to start from; `events` add events and override params of theirs. */
    extends: z.array(z.enum(BUILT_IN_PLAN_NAMES)).default([]),
    /** Event name → its params and items. An empty entry (`page_view:`) plans the name alone. */
    events: z.record(eventName, z.union([z.null(), eventPlanSchema])).default({}),
  })
  .strict();

/** The validated `tracking_plan` section. */
export type TrackingPlanConfig = z.infer<typeof trackingPlanSchema>;
