/**
 * One runtime's suite: start its server, run the shared conformance cases, then stop it.
 * A runtime missing here fails the suite with the reason; it is never skipped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conformance } from './conformance.js';
import { RUNTIMES, requireRuntime, startServer, type RuntimeName, type Server } from './servers.js';

/**
 * @example
 * runtimeSuite('bun')
 */
export function runtimeSuite(name: RuntimeName): void {
  describe(`tagrelay on ${name}`, () => {
    let server: Server | undefined;
    beforeAll(async () => {
      requireRuntime(name);
      server = await startServer(name);
    }, 90_000);
    afterAll(async () => {
      await server?.stop(1_000);
    }, 30_000);

    conformance(() => server!, { runtime: name, knownIssues: RUNTIMES[name].knownIssues });

    const cron = RUNTIMES[name].cronPath;
    if (cron) {
      it('runs its cron trigger (the delivery drain) without error', async () => {
        const res = await fetch(server!.baseUrl + cron);
        expect(res.status).toBe(200);
        expect(server!.output()).not.toMatch(/boot failed|delivery round failed|Uncaught/);
      });
    }

    if (RUNTIMES[name].graceful) {
      it('stops cleanly on SIGTERM (exit code 0, "tagrelay stopped")', async () => {
        expect(await server!.stop()).toBe(0);
        expect(server!.output()).toContain('tagrelay stopped');
      });
    }
  });
}
