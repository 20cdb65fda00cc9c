/**
 * @module The `alarms` section of the config: which tracking alarms watch what, their thresholds, and where they notify.
 */
import { z } from 'zod';
import { duration } from '../config/duration.js';

const share = z.number().min(0).max(1);
/** A judged window: at most 12h, so a window and the same hours a day earlier never overlap. */
const window = (d: string) => duration.pipe(z.number().int().min(60_000).max(12 * 3_600_000, 'at most 12h')).prefault(d);

/** An alarm comparing a share (denied, flagged, matched) over a window with the same hours of the last days. */
const shareAlarm = (defaults: { enabled: boolean; threshold: number }) =>
  z
    .object({
      enabled: z.boolean().default(defaults.enabled),
      window: window('1h'),
      /** Absolute change of the share against its history that fires (0.2 = 20 points). */
      threshold: share.default(defaults.threshold),
      /** Fewer events than this in the window: not judged. */
      min_events: z.number().int().min(1).default(50),
      /** And the change is at least this many standard errors of a share of that many events (binomial). */
      z: z.number().min(0).default(4),
    })
    .prefault({});

/** The `alarms` section. */
export const alarmsConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** How often the evaluator runs (long-lived runtimes; Workers run it from the cron). */
    interval: duration.prefault('1m'),
    /** Days of history the expected volume comes from (same hours of the day). */
    history_days: z.number().int().min(1).max(28).default(7),
    /** Fewer days of history than this: alarms that compare with history stay quiet. */
    min_history_days: z.number().int().min(1).max(28).default(3),
    /** Event names to watch (default: every name seen) and names never to watch. */
    events: z.array(z.string()).default([]),
    ignore_events: z.array(z.string()).default([]),
    /** An event that stops arriving: none for `silent_for` where at least `min_expected` were expected. */
    event_stopped: z
      .object({
        enabled: z.boolean().default(true),
        silent_for: window('2h'),
        /**
         * The floor for quiet hours: a silence where fewer were expected is no alarm. Poisson odds of a
         * normal silence: e^−5 ≈ 0.7 % per window (about weekly per event name at dawn), e^−10 ≈ 0.005 %.
         */
        min_expected: z.number().min(1).default(10),
      })
      .prefault({}),
    /** Volume of an event name far below or above its history over `window`. */
    volume: z
      .object({
        enabled: z.boolean().default(false),
        window: window('1h'),
        /** Fire when seen ≤ expected × (1 − drop). */
        drop: share.default(0.5),
        /** Fire when seen ≥ max(expected, min_expected) × spike. */
        spike: z.number().min(1).default(3),
        /** Floor: expected below this is not judged for drops and counts as this for spikes. */
        min_expected: z.number().min(1).default(20),
        /** And the change is at least this many standard deviations (Poisson plus the history's spread). */
        z: z.number().min(0).default(4),
      })
      .prefault({}),
    /** Share of events the tracking plan flagged (warn, quarantine, drop) jumps. */
    plan_violations: shareAlarm({ enabled: false, threshold: 0.1 }),
    /** Share of events with analytics_storage denied jumps (a broken consent banner). */
    consent_denied: shareAlarm({ enabled: false, threshold: 0.2 }),
    /** Share of the events Meta may receive (ad_storage and ad_user_data granted) carrying a match key (hashed email or phone, fbc or fbp) drops. */
    match_quality: shareAlarm({ enabled: false, threshold: 0.15 }),
    /** A destination's delivery attempts fail (retry or dead letter) beyond a rate. */
    destination_failing: z
      .object({
        enabled: z.boolean().default(true),
        window: window('15m'),
        /** Share of outcomes that failed (retrying or dead-lettered). */
        error_rate: share.default(0.2),
        /** Share of outcomes dead-lettered. */
        dead_letter_rate: share.default(0.05),
        min_outcomes: z.number().int().min(1).default(20),
      })
      .prefault({}),
    channels: z
      .object({
        /** A log line when an alarm fires (warn) and resolves (info). */
        log: z.boolean().default(true),
        /** Slack-compatible webhooks: POST `{ text, alarm }`. Put the secret URL in an environment variable. */
        webhooks: z
          .array(
            z.object({
              url: z.string().url(),
              headers: z.record(z.string(), z.string()).default({}),
              timeout: duration.prefault('5s'),
              /** A notice that could not be delivered for this long is dropped (logged). */
              max_age: duration.prefault('24h'),
            }),
          )
          .default([]),
      })
      .prefault({}),
  })
  .prefault({});

/** Alarm settings after defaults. */
export type AlarmsConfig = z.infer<typeof alarmsConfigSchema>;
