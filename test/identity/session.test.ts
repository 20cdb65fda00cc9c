import { describe, expect, it } from 'vitest';
import { advanceSession, formatSessionCookie, parseSessionCookie, type SessionState } from '../../src/identity/session.js';

const rules = { timeoutMs: 30 * 60_000, engagedAfterMs: 10_000 };
const T0 = 1_700_000_000_000;
const MIN = 60_000;

describe('session cookie format', () => {
  it('round-trips', () => {
    const s: SessionState = { session_id: '1700000000', session_number: 3, engaged: true, last_activity_s: 1700000100, page_views: 2, engagement_ms: 12_500 };
    expect(formatSessionCookie(s)).toBe('1700000000.3.1.1700000100.2.12500');
    expect(parseSessionCookie(formatSessionCookie(s))).toEqual(s);
  });
  it('reads the short 4-field form', () => {
    expect(parseSessionCookie('1700000000.2.0.1700000100')).toEqual({
      session_id: '1700000000', session_number: 2, engaged: false, last_activity_s: 1700000100, page_views: 0, engagement_ms: 0,
    });
  });
  it.each(['', 'abc', '1.2.3.4', '1700000000.2.2.1700000100', '1700000000.2.0.1700000100.1', '1.2.0.3;x'])('rejects %j', (v) => {
    expect(parseSessionCookie(v)).toBeUndefined();
  });
});

describe('advanceSession', () => {
  it('starts a first session with id = start seconds', () => {
    const step = advanceSession(undefined, { nowMs: T0 + 999, pageView: true }, rules);
    expect(step).toMatchObject({ session_start: true, reason: 'identity.session_new' });
    expect(step.state).toMatchObject({ session_id: '1700000000', session_number: 1, page_views: 1, engaged: false, last_activity_s: 1700000000 });
  });

  // Rollover at the inactivity timeout (injectable now).
  it.each([
    [29 * MIN, false, 'identity.session_continued'],
    [30 * MIN - 1000, false, 'identity.session_continued'],
    [30 * MIN, true, 'identity.session_timeout'],
    [45 * MIN, true, 'identity.session_timeout'],
    [-5 * MIN, false, 'identity.session_continued'],
  ])('after %d ms idle: new session %s', (idle, isNew, reason) => {
    const first = advanceSession(undefined, { nowMs: T0, pageView: true }, rules).state;
    const step = advanceSession(first, { nowMs: T0 + idle, pageView: true }, rules);
    expect(step.session_start).toBe(isNew);
    expect(step.reason).toBe(reason);
    expect(step.state.session_number).toBe(isNew ? 2 : 1);
    expect(step.state.session_id).toBe(isNew ? String(Math.floor((T0 + idle) / 1000)) : '1700000000');
    expect(step.state.page_views).toBe(isNew ? 1 : 2);
  });

  it('honours a configured timeout', () => {
    const first = advanceSession(undefined, { nowMs: T0 }, rules).state;
    expect(advanceSession(first, { nowMs: T0 + 5 * MIN }, { ...rules, timeoutMs: 5 * MIN }).session_start).toBe(true);
    expect(advanceSession(first, { nowMs: T0 + 5 * MIN }, rules).session_start).toBe(false);
  });

  it('measures inactivity from the last event, not the session start', () => {
    let s = advanceSession(undefined, { nowMs: T0 }, rules).state;
    for (let i = 1; i <= 4; i++) s = advanceSession(s, { nowMs: T0 + i * 20 * MIN }, rules).state;
    expect(s.session_id).toBe('1700000000');
    expect(s.last_activity_s).toBe(1700000000 + 80 * 60);
  });

  it.each<[string, Array<{ pageView?: boolean; conversion?: boolean; engagementMsec?: number }>, boolean]>([
    ['one page view', [{ pageView: true }], false],
    ['two page views', [{ pageView: true }, { pageView: true }], true],
    ['9.9 s engagement', [{ pageView: true, engagementMsec: 4000 }, { engagementMsec: 5900 }], false],
    ['10 s engagement over two events', [{ pageView: true, engagementMsec: 4000 }, { engagementMsec: 6000 }], true],
    ['a conversion', [{ conversion: true }], true],
    ['other events only', [{}, {}, {}], false],
  ])('engaged after %s: %s', (_label, events, engaged) => {
    let s: SessionState | undefined;
    events.forEach((e, i) => {
      s = advanceSession(s, { nowMs: T0 + i * 1000, ...e }, rules).state;
    });
    expect(s!.engaged).toBe(engaged);
  });

  it('stays engaged within a session and resets on rollover', () => {
    const a = advanceSession(undefined, { nowMs: T0, conversion: true }, rules).state;
    expect(advanceSession(a, { nowMs: T0 + MIN }, rules).state.engaged).toBe(true);
    expect(advanceSession(a, { nowMs: T0 + 31 * MIN }, rules).state.engaged).toBe(false);
  });
});
