/**
 * @module Stateless sessions in one cookie, with GA4's timeout and engagement rules.
 *
 * Cookie value: `<session_id>.<session_number>.<engaged 0/1>.<last_activity_s>.<page_views>.<engagement_ms>`.
 * The last two fields are optional when reading (older 4-field values count as 0).
 */

/** The state carried by the session cookie. */
export interface SessionState {
  /** GA4-style: the session start time in epoch seconds. */
  session_id: string;
  /** 1 for a visitor's first session, +1 for each new one. */
  session_number: number;
  engaged: boolean;
  /** Time of the last event, epoch seconds. */
  last_activity_s: number;
  page_views: number;
  /** Accumulated foreground engagement, milliseconds. */
  engagement_ms: number;
}

/** Rules of {@link advanceSession} (from `identity.session_timeout` / `identity.engagement_threshold`). */
export interface SessionRules {
  /** Inactivity after which the next event starts a new session (GA4 default 30 minutes). */
  timeoutMs: number;
  /** Engagement that makes a session engaged (GA4 default 10 seconds). */
  engagedAfterMs: number;
}

/** The event facts that move a session forward. */
export interface SessionActivity {
  nowMs: number;
  pageView?: boolean;
  conversion?: boolean;
  /** Engagement reported with this event (gtag `_et`), milliseconds. */
  engagementMsec?: number;
}

/** Outcome of {@link advanceSession}. */
export interface SessionStep {
  state: SessionState;
  session_start: boolean;
  /** `identity.session_new` | `identity.session_timeout` | `identity.session_continued` */
  reason: string;
}

const MAX_COUNTER = 999_999_999;
const SESSION_COOKIE = /^(\d{1,12})\.(\d{1,9})\.([01])\.(\d{1,12})(?:\.(\d{1,9})\.(\d{1,9}))?$/;

/** Parse a session cookie value; `undefined` when absent or malformed. */
export function parseSessionCookie(value: string | undefined): SessionState | undefined {
  const m = value ? SESSION_COOKIE.exec(value) : null;
  if (!m) return undefined;
  return {
    session_id: m[1]!,
    session_number: Math.max(1, Number(m[2])),
    engaged: m[3] === '1',
    last_activity_s: Number(m[4]),
    page_views: Number(m[5] ?? 0),
    engagement_ms: Number(m[6] ?? 0),
  };
}

/** Serialize a session state for the cookie. */
export function formatSessionCookie(s: SessionState): string {
  return [s.session_id, s.session_number, s.engaged ? 1 : 0, s.last_activity_s, s.page_views, s.engagement_ms].join('.');
}

/**
 * Move a session forward by one event. A new session starts when there is none or when the last
 * activity is at least `timeoutMs` ago; its id is the start time in seconds, like GA4's `sid`.
 * Engaged (GA4's definition): 10 s of engagement, a conversion, or 2+ page views in the session.
 *
 * @example
 * advanceSession(undefined, { nowMs: 1_700_000_000_000, pageView: true }, rules).state.session_id // '1700000000'
 */
export function advanceSession(previous: SessionState | undefined, activity: SessionActivity, rules: SessionRules): SessionStep {
  const nowS = Math.floor(activity.nowMs / 1000);
  // A clock that went backwards never ends a session early.
  const idleMs = previous ? Math.max(0, nowS - previous.last_activity_s) * 1000 : 0;
  const continues = previous !== undefined && idleMs < rules.timeoutMs;
  const base: SessionState = continues
    ? previous
    : {
        session_id: String(nowS),
        session_number: previous ? previous.session_number + 1 : 1,
        engaged: false,
        last_activity_s: nowS,
        page_views: 0,
        engagement_ms: 0,
      };
  const page_views = Math.min(MAX_COUNTER, base.page_views + (activity.pageView ? 1 : 0));
  const added = Math.max(0, Math.floor(activity.engagementMsec ?? 0));
  const engagement_ms = Math.min(MAX_COUNTER, base.engagement_ms + (Number.isFinite(added) ? added : 0));
  const engaged = base.engaged || activity.conversion === true || page_views >= 2 || engagement_ms >= rules.engagedAfterMs;
  return {
    state: { ...base, last_activity_s: Math.max(base.last_activity_s, nowS), page_views, engagement_ms, engaged },
    session_start: !continues,
    reason: continues ? 'identity.session_continued' : previous ? 'identity.session_timeout' : 'identity.session_new',
  };
}
