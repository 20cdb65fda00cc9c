/**
 * @module Micro-interactions recorded on request: outbound clicks, downloads, scroll depth, video, time on page.
 * Event and parameter names follow GA4 enhanced measurement, so destinations map them unchanged.
 */

/** Which interactions `tagrelay('auto', …)` records. */
export interface AutoOptions {
  outbound?: boolean;
  downloads?: boolean;
  scroll?: boolean;
  video?: boolean;
  timing?: boolean;
}

type Push = (name: string, params?: Record<string, unknown>) => void;

// GA4's enhanced-measurement download extensions.
const DOWNLOAD = /^(pdf|xlsx?|docx?|txt|rtf|csv|exe|key|pp[st]x?|7z|pkg|rar|gz|zip|avi|mov|mp4|mpe?g|wmv|midi?|mp3|wav|wma)$/;
const MARKS = [25, 50, 75, 90];

let scrolled: Record<number, 1> = {};
let visibleSince = 0;
let timing = false;

/** A new page (SPA navigation): scroll depth counts again. */
export function resetPage(): void {
  scrolled = {};
}

/** Time visible since the last call, in ms, when timing is on (0 otherwise). */
export function takeVisibleTime(): number {
  const ms = timing && visibleSince ? Date.now() - visibleSince : 0;
  visibleSince = 0;
  return ms;
}

/** The page became visible again: start counting. */
export function onVisible(): void {
  if (timing) visibleSince = Date.now();
}

/** Start recording the requested interactions. */
export function startAuto(o: AutoOptions, push: Push): void {
  const d = document;
  const w = window;
  if (o.timing && !timing) {
    timing = true;
    if (d.visibilityState === 'visible') visibleSince = Date.now();
  }
  if (o.outbound || o.downloads) {
    d.addEventListener(
      'click',
      (e) => {
        const a = (e.target as Element | null)?.closest?.('a[href]') as HTMLAnchorElement | null;
        if (!a || !/^https?:$/.test(a.protocol)) return;
        const ext = /\.([a-z0-9]+)$/i.exec(a.pathname)?.[1]?.toLowerCase();
        if (o.downloads && ext && DOWNLOAD.test(ext)) {
          push('file_download', { file_extension: ext, file_name: a.pathname.split('/').pop(), link_url: a.href, link_text: (a.textContent || '').trim().slice(0, 100) });
        } else if (o.outbound && a.hostname !== location.hostname) {
          push('click', { link_url: a.href, link_domain: a.hostname, outbound: true });
        }
      },
      true,
    );
  }
  if (o.scroll) {
    w.addEventListener(
      'scroll',
      () => {
        const el = d.documentElement;
        const pct = ((w.scrollY + w.innerHeight) / el.scrollHeight) * 100;
        for (const m of MARKS) {
          if (pct >= m && !scrolled[m]) {
            scrolled[m] = 1;
            push('scroll', { percent_scrolled: m });
          }
        }
      },
      { passive: true },
    );
  }
  if (o.video) {
    const started = new WeakSet<EventTarget>();
    // Media events do not bubble: listen in the capture phase on the document.
    const on = (type: string, name: string) =>
      d.addEventListener(
        type,
        (e) => {
          const v = e.target;
          if (!(v instanceof HTMLVideoElement) || (type === 'play' && started.has(v))) return;
          started.add(v);
          push(name, { video_url: v.currentSrc, video_title: v.title || undefined, video_duration: Math.round(v.duration) || 0 });
        },
        true,
      );
    on('play', 'video_start');
    on('ended', 'video_complete');
  }
}
