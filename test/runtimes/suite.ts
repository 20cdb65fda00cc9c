/**
 * One runtime's suite: start its server, run the shared conformance cases, then stop it.
 * Set TAGRELAY_REQUIRE_ALL_RUNTIMES=1 (CI) to fail instead of skipping a runtime missing here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conformance } from './conformance.js';
import { RUNTIMES, startServer, unavailable, type RuntimeName, type Server } from './servers.js';

/**
 * @example
 * runtimeSuite('bun')
 */
export function runtimeSuite(name: RuntimeName): void {
  const missing = unavailable(name);
  if (missing && process.env.TAGRELAY_REQUIRE_ALL_RUNTIMES !== '1') {
    console.warn(`SKIPPING the ${name} conformance suite: ${missing}`);
  }
  describe.skipIf(missing !== undefined && process.env.TAGRELAY_REQUIRE_ALL_RUNTIMES !== '1')(`tagrelay on ${name}`, () => {
    let server: Server | undefined;
    beforeAll(async () => {
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
