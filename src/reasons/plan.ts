/**
 * @module Reason codes of the tracking plan (`plan.*`) in words a site team and a privacy officer read.
 */
import type { ReasonTable } from './types.js';

/** Tracking-plan violations (src/rules/plan.ts) and the dead-letter reason of a quarantined event. */
export const PLAN_REASONS: ReasonTable = {
  'plan.required': () => 'A parameter or the items the tracking plan requires for this event were missing.',
  'plan.type': () => 'A parameter had another type or format than the tracking plan expects (for example text where a number belongs).',
  'plan.enum': () => 'A parameter had a value outside the list of values the tracking plan allows.',
  'plan.range': () => 'A number was below the minimum or above the maximum the tracking plan sets.',
  'plan.pattern': () => 'A text parameter did not match the pattern the tracking plan sets.',
  'plan.item_id': () => 'An item had neither item_id nor item_name; GA4 needs one of them to report the item.',
  'plan.unplanned': () => 'The event name is not in the tracking plan (tracking_plan.unplanned decides what happens to it).',
  'plan.naming': () => 'The event name breaks the naming convention: snake_case of at most 40 characters, no prefix GA4 reserves.',
  'plan.violation': (path) =>
    `The event broke the tracking plan${path ? ` at ${path}` : ''} and was quarantined: it was kept, not delivered, and can be replayed once the plan or the site is fixed.`,
};
