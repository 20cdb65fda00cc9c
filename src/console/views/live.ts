/**
 * @module Live view: open a debug session bound to one visitor and watch its events arrive (SSE).
 */
import { CONSOLE_PATH } from '../session.js';
import { html, type Html } from '../layout.js';

export function liveView(csrf: string, available: boolean): Html {
  if (!available) {
    return html`<p class="notice bad" data-live="unavailable">The live debug stream is not part of this build (no debug hub); the view needs the debug stream backend (<code>src/debug/</code>).</p>`;
  }
  return html`
<div id="live" data-csrf="${csrf}" data-base="${CONSOLE_PATH}">
  <p>A debug session binds one browser (by a signed cookie, set by opening the link below on that device) or one
  client (by the <code>X-Tagrelay-Debug</code> header). Its events stream here as they happen: the input as received,
  consent per purpose with source and reason, identity and enrichment, and per destination the decision, the payload
  sent (secrets masked) and the vendor's answer. Other visitors are not traced.</p>
  <div class="inline form">
    <input type="text" id="live-label" placeholder="label (e.g. iPhone test)" maxlength="60">
    <button type="button" id="live-start">Start a debug session</button>
    <button type="button" id="live-stop" class="secondary" disabled>End it</button>
  </div>
  <p id="live-status" class="muted" data-state="idle">No session yet.</p>
  <p id="live-link" class="qr"></p>
  <div id="live-log" class="live-log"></div>
</div>`;
}
