/**
 * @module Reason codes of journey triggers (`trigger.*`) in words a site team and a privacy officer read.
 */
import type { ReasonTable } from './types.js';

/** Why a trigger fired, was cancelled, or why a destination did not get what it emitted (src/rules/triggers*.ts). */
export const TRIGGER_REASONS: ReasonTable = {
  'trigger.fired': (id) => `A journey trigger${id ? ` (${id})` : ''} emitted this event: its start was not followed by a cancel in time.`,
  'trigger.cancelled': (event) => `The journey trigger was cancelled by a later${event ? ` ${event}` : ''} event of the same visitor before it fired.`,
  'trigger.consent_withdrawn': () =>
    'The journey trigger was cancelled: the visitor withdrew or no longer granted a purpose the trigger requires, so nothing was emitted.',
  'trigger.not_a_target': () => "This destination is not among the journey trigger's destinations, so the event it emitted is not sent here.",
  'trigger.count_not_reached': () => 'The window of the journey trigger ended with fewer start events than it counts, so it did not fire.',
  'trigger.source_missing': () => 'The journey trigger did not fire: the event that started it is no longer stored (retention or erasure).',
  'trigger.removed': () => 'The journey trigger did not fire: it is no longer in the configuration.',
};
