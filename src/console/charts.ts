/**
 * @module Server-rendered SVG charts (no chart library, no script): stacked bars over time and horizontal bars.
 * Each bar carries `data-*` attributes with its numbers, so a test (or a screen reader's title) reads what is drawn.
 */
import { raw } from 'hono/html';
import type { Html } from './layout.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** One series of a stacked chart. */
export interface Series {
  name: string;
  color: string;
  values: number[];
}

/** A nice upper bound for an axis (1, 2, 5 × 10^n). */
function niceMax(max: number): number {
  if (max <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

/**
 * Stacked columns, one per x label (minutes, hours).
 *
 * @example
 * stackedBars('traffic', ['12:00', '12:01'], [{ name: 'accepted', color: '#2457d6', values: [3, 4] }])
 */
export function stackedBars(id: string, labels: string[], series: Series[], opts: { height?: number; title?: string } = {}): Html {
  const W = 720;
  const H = opts.height ?? 200;
  const pad = { l: 36, r: 8, t: 10, b: 22 };
  const n = labels.length;
  const totals = labels.map((_, i) => series.reduce((s, x) => s + (x.values[i] ?? 0), 0));
  const max = niceMax(Math.max(0, ...totals));
  const cw = (W - pad.l - pad.r) / Math.max(1, n);
  const y = (v: number) => pad.t + (H - pad.t - pad.b) * (1 - v / max);
  const parts: string[] = [];
  for (const t of [0, max / 2, max]) {
    parts.push(`<line x1="${pad.l}" x2="${W - pad.r}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#e2e6ec"/>`);
    parts.push(`<text x="${pad.l - 4}" y="${(y(t) + 4).toFixed(1)}" font-size="10" text-anchor="end" fill="#5f6b7a">${Number.isInteger(t) ? t : t.toFixed(1)}</text>`);
  }
  const every = Math.max(1, Math.ceil(n / 8));
  labels.forEach((label, i) => {
    let base = 0;
    const x = pad.l + i * cw + cw * 0.12;
    const w = Math.max(1, cw * 0.76);
    for (const s of series) {
      const v = s.values[i] ?? 0;
      if (v > 0) {
        const top = y(base + v);
        parts.push(
          `<rect x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${w.toFixed(1)}" height="${(y(base) - top).toFixed(1)}" fill="${s.color}" data-series="${esc(s.name)}" data-x="${esc(label)}" data-value="${v}"><title>${esc(s.name)} ${esc(label)}: ${v}</title></rect>`,
        );
      }
      base += v;
    }
    if (i % every === 0) parts.push(`<text x="${(x + w / 2).toFixed(1)}" y="${H - 6}" font-size="10" text-anchor="middle" fill="#5f6b7a">${esc(label)}</text>`);
  });
  return raw(
    `<figure class="chart" data-chart="${esc(id)}"><svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(opts.title ?? id)}">${parts.join('')}</svg>` +
      `<figcaption class="legend">${series.map((s) => `<span><svg width="10" height="10" aria-hidden="true"><rect width="10" height="10" rx="2" fill="${s.color}"/></svg> ${esc(s.name)}</span>`).join('')}</figcaption></figure>`,
  );
}

/** Horizontal bars (funnel steps, channels, shares). */
export function horizontalBars(id: string, rows: { label: string; value: number; note?: string }[], opts: { color?: string; format?: (v: number) => string } = {}): Html {
  const W = 720;
  const rowH = 26;
  const labelW = 220;
  const H = rows.length * rowH + 6;
  const max = Math.max(0, ...rows.map((r) => r.value)) || 1;
  const fmt = opts.format ?? ((v: number) => v.toLocaleString('en'));
  const parts = rows.map((r, i) => {
    const w = ((W - labelW - 200) * r.value) / max;
    const yy = 3 + i * rowH;
    return (
      `<text x="${labelW - 6}" y="${yy + 16}" font-size="12" text-anchor="end" fill="#1d2330">${esc(r.label)}</text>` +
      `<rect x="${labelW}" y="${yy + 4}" width="${Math.max(0, w).toFixed(1)}" height="${rowH - 8}" rx="3" fill="${opts.color ?? '#2457d6'}" data-x="${esc(r.label)}" data-value="${r.value}"><title>${esc(r.label)}: ${esc(fmt(r.value))}</title></rect>` +
      `<text x="${(labelW + Math.max(0, w) + 6).toFixed(1)}" y="${yy + 16}" font-size="12" fill="#5f6b7a">${esc(fmt(r.value))}${r.note ? ` · ${esc(r.note)}` : ''}</text>`
    );
  });
  return raw(`<figure class="chart" data-chart="${esc(id)}"><svg viewBox="0 0 ${W} ${Math.max(H, 20)}" role="img" aria-label="${esc(id)}">${parts.join('')}</svg></figure>`);
}
