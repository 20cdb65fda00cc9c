/**
 * @module The console's page shell: navigation by scope, the stylesheet and the small script (served as
 * files, so the Content-Security-Policy allows no inline script or style).
 */
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { CONSOLE_PATH, type ConsoleSession } from './session.js';

/** What an `html` template gives. */
export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** A view of the console and the scope it needs. */
export interface ViewInfo {
  path: string;
  title: string;
  scope: string;
}

/** Every view, in navigation order. The reports view is listed only when the reports module is present. */
export const VIEWS: ViewInfo[] = [
  { path: 'overview', title: 'Overview', scope: 'debug:read' },
  { path: 'live', title: 'Live', scope: 'debug:read' },
  { path: 'data-flow', title: 'Data flow', scope: 'dsr:read' },
  { path: 'consent', title: 'Consent', scope: 'dsr:read' },
  { path: 'delivery', title: 'Delivery', scope: 'dlq:read' },
];

/** Response headers of every console page. */
export const CONSOLE_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  // same-origin, not no-referrer: with no-referrer a browser sends `Origin: null` on form posts.
  'referrer-policy': 'same-origin',
};

/** A full page: navigation (only the views the session's scopes open), a title, and the content. */
export function page(opts: { title: string; active?: string; session?: ConsoleSession; csrf?: string; views?: ViewInfo[]; body: Html | Html[] }): Html {
  const { session } = opts;
  const nav = session
    ? (opts.views ?? VIEWS).filter((v) => session.scopes.includes(v.scope)).map(
        (v) => html`<a href="${CONSOLE_PATH}/${v.path}" class="${v.path === opts.active ? 'active' : ''}">${v.title}</a>`,
      )
    : [];
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${opts.title} · tagrelay console</title>
<link rel="stylesheet" href="${CONSOLE_PATH}/assets/console.css">
<script src="${CONSOLE_PATH}/assets/console.js" defer></script>
</head>
<body>
<header class="top">
  <a class="brand" href="${CONSOLE_PATH}">tagrelay</a>
  <nav>${nav}</nav>
  ${session
    ? html`<form method="post" action="${CONSOLE_PATH}/logout" class="logout"><input type="hidden" name="_csrf" value="${opts.csrf ?? ''}"><span class="who">${session.sub}</span><button type="submit">Log out</button></form>`
    : ''}
</header>
<main>
<h1>${opts.title}</h1>
${opts.body}
</main>
</body>
</html>`;
}

/** A number card. `id` lets tests and people find it. */
export function stat(id: string, label: string, value: number | string, note?: string): Html {
  return html`<div class="stat" data-stat="${id}"><div class="label">${label}</div><div class="value">${typeof value === 'number' ? value.toLocaleString('en') : value}</div>${note ? html`<div class="note">${note}</div>` : ''}</div>`;
}

/** A table in a scrolling wrapper (phones). */
export function table(head: string[], rows: Html[][], attrs: { id?: string; empty?: string } = {}): Html {
  if (rows.length === 0) return html`<p class="empty" data-table="${attrs.id ?? ''}">${attrs.empty ?? 'Nothing yet.'}</p>`;
  return html`<div class="scroll"><table data-table="${attrs.id ?? ''}"><thead><tr>${head.map((h) => html`<th>${h}</th>`)}</tr></thead><tbody>${rows.map(
    (r) => html`<tr>${r.map((cell) => html`<td>${cell}</td>`)}</tr>`,
  )}</tbody></table></div>`;
}

/** `3 min`, `2 h` … for ages. */
export function age(ms: number): string {
  if (ms <= 0) return '—';
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 86_400_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  return `${(ms / 86_400_000).toFixed(1)} d`;
}

/** ISO time without milliseconds, UTC. */
export function when(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + 'Z';
}

export { html, raw };

/** The stylesheet: plain CSS, no framework; a grid of cards that folds to one column on a phone. */
export const CSS = `
:root { --fg:#1d2330; --muted:#5f6b7a; --line:#e2e6ec; --bg:#f6f7f9; --card:#fff; --accent:#2457d6; --ok:#1a7f4b; --warn:#b26b00; --bad:#c0362c; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--fg); background:var(--bg); }
a { color:var(--accent); }
header.top { display:flex; flex-wrap:wrap; align-items:center; gap:.5rem 1rem; padding:.6rem 1rem; background:#fff; border-bottom:1px solid var(--line); position:sticky; top:0; z-index:1; }
.brand { font-weight:700; text-decoration:none; color:var(--fg); }
nav { display:flex; gap:.25rem; overflow-x:auto; flex:1 1 auto; }
nav a { padding:.3rem .6rem; border-radius:6px; text-decoration:none; color:var(--muted); white-space:nowrap; }
nav a.active, nav a:hover { background:#eef2fb; color:var(--accent); }
.logout { display:flex; align-items:center; gap:.5rem; }
.who { color:var(--muted); font-size:.85rem; }
main { max-width:1200px; margin:0 auto; padding:1rem; }
h1 { font-size:1.4rem; margin:.2rem 0 1rem; }
h2 { font-size:1.1rem; margin:1.6rem 0 .6rem; }
h3 { font-size:1rem; margin:1rem 0 .4rem; }
.grid { display:grid; grid-template-columns:repeat(auto-fit,minmax(170px,1fr)); gap:.75rem; }
.cards { display:grid; grid-template-columns:repeat(auto-fit,minmax(320px,1fr)); gap:.75rem; }
.stat, .card { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:.75rem .9rem; }
.stat .label { color:var(--muted); font-size:.8rem; text-transform:uppercase; letter-spacing:.03em; }
.stat .value { font-size:1.7rem; font-weight:650; font-variant-numeric:tabular-nums; }
.stat .note { color:var(--muted); font-size:.8rem; }
.scroll { overflow-x:auto; background:var(--card); border:1px solid var(--line); border-radius:10px; }
table { border-collapse:collapse; width:100%; font-size:.9rem; }
th, td { text-align:left; padding:.45rem .6rem; border-bottom:1px solid var(--line); vertical-align:top; }
th { background:#fafbfc; font-weight:600; color:var(--muted); white-space:nowrap; }
tbody tr:last-child td { border-bottom:0; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
code, pre { font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace; font-size:.85rem; }
pre { background:#0f1420; color:#e8ecf3; padding:.75rem; border-radius:8px; overflow:auto; max-height:24rem; }
.empty { color:var(--muted); background:var(--card); border:1px dashed var(--line); border-radius:10px; padding:.75rem; }
.pill { display:inline-block; padding:.05rem .5rem; border-radius:999px; font-size:.8rem; background:#eef0f3; }
.pill.ok, .pill.delivered, .pill.send, .pill.closed, .pill.granted, .pill.clear { background:#e3f4ea; color:var(--ok); }
.pill.warn, .pill.retrying, .pill.anonymize, .pill.cookieless, .pill.half_open, .pill.hashed, .pill.pseudonymized, .pill.truncated, .pill.reduced, .pill.redacted { background:#fff3dc; color:var(--warn); }
.pill.bad, .pill.dead, .pill.drop, .pill.dropped, .pill.open, .pill.denied { background:#fde8e6; color:var(--bad); }
form.inline, div.inline { display:flex; flex-wrap:wrap; gap:.5rem; align-items:center; margin:.5rem 0; }
input[type=text], input[type=search], textarea, select { font:inherit; padding:.45rem .6rem; border:1px solid var(--line); border-radius:8px; background:#fff; min-width:0; }
textarea { width:100%; min-height:7rem; font-family:ui-monospace,monospace; font-size:.8rem; }
button { font:inherit; padding:.45rem .9rem; border-radius:8px; border:1px solid var(--accent); background:var(--accent); color:#fff; cursor:pointer; }
button.secondary { background:#fff; color:var(--accent); }
.login { max-width:520px; margin:8vh auto; background:#fff; border:1px solid var(--line); border-radius:12px; padding:1.2rem; }
.notice { padding:.6rem .8rem; border-radius:8px; background:#eef2fb; margin:.5rem 0; }
.notice.bad { background:#fde8e6; color:var(--bad); }
.chart { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:.5rem; }
.chart > svg { width:100%; height:auto; display:block; }
.legend svg { display:inline-block; vertical-align:-1px; }
.legend { display:flex; flex-wrap:wrap; gap:.75rem; font-size:.8rem; color:var(--muted); padding:.25rem .5rem; }
.legend i { display:inline-block; width:.7rem; height:.7rem; border-radius:2px; margin-right:.3rem; vertical-align:-1px; }
.sw-accepted { background:#2457d6; } .sw-rejected { background:#c0362c; } .sw-duplicates { background:#8a94a6; } .sw-bots { background:#b26b00; }
.sw-granted { background:#1a7f4b; } .sw-denied { background:#c0362c; }
.live-log { display:flex; flex-direction:column; gap:.6rem; }
.live-event { background:#fff; border:1px solid var(--line); border-radius:10px; padding:.6rem .8rem; }
.live-event header { display:flex; flex-wrap:wrap; gap:.5rem; align-items:baseline; }
.muted { color:var(--muted); }
.qr { word-break:break-all; }
@media (max-width: 640px) {
  main { padding:.6rem; }
  .stat .value { font-size:1.35rem; }
  header.top { padding:.5rem .6rem; }
  .who { display:none; }
}
`;
