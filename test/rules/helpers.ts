/**
 * @module Test helpers for src/rules: canonical events and config loading with file:line:col errors.
 */
import type { Event } from '../../src/event.js';
import { ConfigError, parseConfig } from '../../src/config/load.js';

/** A canonical event with the given overrides (a page view on /, no consent, native source). */
export function makeEvent(overrides: Partial<Event> = {}): Event {
  return {
    event_id: 'evt-1',
    name: 'page_view',
    time: 1_700_000_000_000,
    received_at: 1_700_000_000_000,
    params: {},
    user: {},
    page: { url: 'https://shop.example/' },
    client: { client_id: '123.456', session_id: '789' },
    consent: {},
    request: { source: 'native', headers: {}, cookies: {} },
    ...overrides,
  };
}

/** The issues a config text is refused with, as `path @line:col: message`; throws when it is accepted. */
export function configIssues(text: string, file = 'site.yaml'): string[] {
  try {
    parseConfig(text, file, {});
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.issues.map((i) => `${i.path} @${i.line}:${i.column}: ${i.message}`);
  }
  throw new Error('expected the config to be refused');
}

/** A YAML document from lines. */
export const yaml = (...lines: string[]): string => lines.join('\n') + '\n';
