/** A Server-Sent Events client over a real socket (fetch + a streaming body), for the debug stream suites. */
import type { DebugMessage } from '../../src/debug/types.js';

export interface SseClient {
  status: number;
  headers: Headers;
  /** Every message parsed so far, in order. */
  messages: DebugMessage[];
  /** SSE fields of each message (`event`, `id`), in order. */
  frames: { event?: string; id?: string }[];
  /** Everything read from the socket, comments included. */
  raw(): string;
  /** Resolves when a message matching `pred` has arrived (rejects after `ms`). */
  waitFor(pred: (m: DebugMessage) => boolean, ms?: number): Promise<DebugMessage>;
  /** Resolves when the server ended the stream. */
  ended: Promise<void>;
  close(): void;
}

export async function openSse(url: string, headers: Record<string, string>): Promise<SseClient> {
  const ctrl = new AbortController();
  const res = await fetch(url, { headers, signal: ctrl.signal });
  const messages: DebugMessage[] = [];
  const frames: SseClient['frames'] = [];
  const waiters = new Set<() => void>();
  let raw = '';
  let ended: Promise<void> = Promise.resolve();
  if (res.body && res.status === 200) {
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    ended = (async () => {
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        raw += value;
        buf += value;
        for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const frame: { event?: string; id?: string } = {};
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue;
            const colon = line.indexOf(':');
            const field = line.slice(0, colon);
            const val = line.slice(colon + 1).replace(/^ /, '');
            if (field === 'data') data.push(val);
            else if (field === 'event') frame.event = val;
            else if (field === 'id') frame.id = val;
          }
          if (data.length === 0) continue;
          messages.push(JSON.parse(data.join('\n')) as DebugMessage);
          frames.push(frame);
          for (const w of [...waiters]) w();
        }
      }
    })().catch(() => undefined);
  }
  return {
    status: res.status,
    headers: res.headers,
    messages,
    frames,
    raw: () => raw,
    ended,
    waitFor(pred, ms = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = messages.find(pred);
          if (!hit) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(hit);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching message in ${ms} ms; got: ${messages.map((m) => `${m.stage}${'destination_id' in m ? `:${m.destination_id}` : ''}`).join(', ')}`));
        }, ms);
        if (!check()) waiters.add(check);
      });
    },
    close: () => ctrl.abort(),
  };
}
