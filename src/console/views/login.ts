/**
 * @module The login page: paste an admin JWT (e.g. from `tagrelay admin token --scopes … --ttl 8h`).
 */
import { CONSOLE_PATH } from '../session.js';
import { html, page, type Html } from '../layout.js';

const REASONS: Record<string, string> = {
  missing: 'Log in to open the console.',
  invalid: 'The session cookie was not valid; log in again.',
  expired: 'Your session expired; log in again.',
  logged_out: 'You are logged out.',
};

export function loginPage(opts: { reason?: string; problem?: string; next?: string }): Html {
  return page({
    title: 'Log in',
    body: html`<div class="login">
  ${opts.problem ? html`<p class="notice bad" data-login-error>${opts.problem}</p>` : opts.reason && REASONS[opts.reason] ? html`<p class="notice" data-login-reason="${opts.reason}">${REASONS[opts.reason]}</p>` : ''}
  <form method="post" action="${CONSOLE_PATH}/login">
    <p><label for="token">Admin token (JWT)</label></p>
    <textarea id="token" name="token" required autocomplete="off" spellcheck="false" placeholder="eyJ…"></textarea>
    <input type="hidden" name="next" value="${opts.next ?? ''}">
    <p><button type="submit">Log in</button></p>
  </form>
  <p class="muted">Mint one with <code>tagrelay admin token --scopes debug:read,dsr:read,dlq:read --ttl 8h</code> (needs
  <code>admin.jwt.secret</code>). The token is checked once; the console then keeps a signed session cookie (HttpOnly,
  SameSite=Strict) for at most an hour and never longer than the token.</p>
</div>`,
  });
}
