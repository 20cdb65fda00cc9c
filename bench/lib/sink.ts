/**
 * @module Start the local delivery sink (bench/sink.mjs) as a child process and read its counters.
 */
import { fileURLToPath } from 'node:url';
import { startChild, type Child } from './proc.js';

/** What the sink counted. */
export interface SinkStats {
  requests: number;
  bytes: number;
  by_path: Record<string, number>;
}

/** A running sink. */
export interface Sink {
  url: string;
  child: Child;
  stats(): Promise<SinkStats>;
  stop(): Promise<void>;
}

/**
 * @example
 * const sink = await startSink()
 * console.log((await sink.stats()).requests)
 */
export async function startSink(): Promise<Sink> {
  const child = startChild(process.execPath, [fileURLToPath(new URL('../sink.mjs', import.meta.url))]);
  const line = await child.waitFor(/sink listening/);
  const url = `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}`;
  return {
    url,
    child,
    async stats() {
      const res = await fetch(`${url}/__stats`);
      return (await res.json()) as SinkStats;
    },
    async stop() {
      await child.stop();
    },
  };
}
