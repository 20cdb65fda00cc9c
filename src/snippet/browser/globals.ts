/**
 * @module Page globals the snippet reads or defines (browser only).
 */

/** A command queued by the stub before the snippet loaded: the stub's `arguments`. */
export type Command = ArrayLike<unknown>;

/** The `window.tagrelay` function. */
export interface TagrelayFn {
  (...args: unknown[]): void;
  /** Commands queued by the stub. */
  q?: Command[];
  /** Set once the snippet has loaded, so a second copy does nothing. */
  l?: 1;
}

/** What IAB TCF v2 `__tcfapi('addEventListener', 2, cb)` hands to its callback. */
export interface TcData {
  tcString?: string;
  gdprApplies?: boolean;
  eventStatus?: string;
}

/** Google's consent state as gtag.js keeps it: per type, `true` = granted. */
export interface GoogleConsentEntries {
  [type: string]: { default?: boolean; update?: boolean } | undefined;
}

/** The window, as the snippet sees it. */
export type PageWindow = Window & {
  tagrelay?: TagrelayFn;
  __tcfapi?: (command: string, version: number, cb: (data: TcData, success: boolean) => void) => void;
  dataLayer?: unknown[];
  google_tag_data?: { ics?: { entries?: GoogleConsentEntries } };
};
