/**
 * @module The `triggers` config key: journey triggers that emit an event when a start is not followed by a cancel in time.
 */
import { z } from 'zod';
import { EVENT_NAME_PATTERN } from '../event.js';
import { duration } from '../config/duration.js';
import { PURPOSES } from '../consent/purposes.js';
import { asList, emitSchema } from './conversions-config.js';

const eventName = z.string().regex(EVENT_NAME_PATTERN, 'an event name is a letter, then up to 39 letters, digits or underscores');

/** What a trigger emits when it fires: params copied from the last start (`items` copies its items) or set. */
export const triggerEmitSchema = emitSchema.omit({ value: true });

/**
 * One trigger. Timed form: `after` a start with no cancel since, it fires (cart abandonment). Count
 * form: `count` starts `within` a window that opens at the first start, and no cancel in it (browse
 * abandonment); it fires when the window ends.
 */
export const triggerSchema = z
  .object({
    /** Stable id: part of every emitted event's id, so keep it once triggers fired. */
    id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a trigger id is 1–64 letters, digits, _ or -'),
    description: z.string().optional(),
    start: z.union([eventName, z.array(eventName).min(1)]),
    cancel: z.array(eventName).default([]),
    /** Timed form: fire this long after the last start. */
    after: duration.optional(),
    /** Count form: at least this many starts … */
    count: z.number().int().min(2).max(1000).optional(),
    /** … within this window (from the first start). */
    within: duration.optional(),
    /** Whose journey: the pseudonymous client (device) or the signed-in user. */
    per: z.enum(['client', 'user']).default('client'),
    emit: triggerEmitSchema,
    /** Purposes that must be granted when the start arms the trigger and again when it fires. */
    requires: z.array(z.enum(PURPOSES)).default([]),
    /** The destinations that receive the emitted event; every other destination skips it. */
    destinations: z.array(z.string().min(1)).min(1),
  })
  .strict()
  .superRefine((t, ctx) => {
    const counted = t.count !== undefined || t.within !== undefined;
    if (counted) {
      if (t.count === undefined) ctx.addIssue({ code: 'custom', path: ['count'], message: 'within needs count (how many starts within the window)' });
      if (t.within === undefined) ctx.addIssue({ code: 'custom', path: ['within'], message: 'count needs within (the window, e.g. 1h)' });
      if (t.after !== undefined) ctx.addIssue({ code: 'custom', path: ['after'], message: 'a count trigger fires when its window ends: give count and within, not after' });
    } else if (t.after === undefined) {
      ctx.addIssue({ code: 'custom', path: ['after'], message: 'a trigger needs after (e.g. 30m), or count and within' });
    } else if (t.after < 1000) {
      ctx.addIssue({ code: 'custom', path: ['after'], message: 'after is at least 1s' });
    }
    const starts = asList(t.start);
    if (starts.includes(t.emit.name) || t.cancel.includes(t.emit.name)) {
      ctx.addIssue({ code: 'custom', path: ['emit', 'name'], message: `trigger '${t.id}' would emit '${t.emit.name}', one of its own start or cancel events: loops are refused` });
    }
    t.cancel.forEach((c, i) => {
      if (starts.includes(c)) ctx.addIssue({ code: 'custom', path: ['cancel', i], message: `'${c}' is both a start and a cancel event` });
    });
  });
export type Trigger = z.infer<typeof triggerSchema>;

/** The `triggers` config key: a list of triggers with unique ids. */
export const triggersSchema = z
  .array(triggerSchema)
  .default([])
  .superRefine((list, ctx) => {
    const ids = new Set<string>();
    list.forEach((t, i) => {
      if (ids.has(t.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate trigger id '${t.id}'` });
      ids.add(t.id);
    });
  });
