/**
 * @module A webhook receiver on 127.0.0.1 that checks every request with the README's own
 * verification code (the `webhook-verify` block, extracted and imported as it is printed), so the
 * tests prove that what the README tells a receiver to do accepts what tagrelay sends.
 *
 * POST /hooks/tagrelay: 401 for a missing, wrong or stale signature; 400 naming the first event the
 * test's `refuse` predicate picks; otherwise 200 `{ received: n }`. Answers after 20–50 ms.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startFake, type VendorFake } from './fake-server.js';

type Headers = Record<string, string | string[] | undefined>;
/** The README's function. */
export type VerifyTagrelay = (rawBody: string, headers: Headers, secret: string, nowMs?: number) => boolean;

const START = '<!-- webhook-verify:start';
const END = '<!-- webhook-verify:end -->';

/** Import the README's verification block as a module. */
export async function readmeVerifier(): Promise<VerifyTagrelay> {
  const readme = readFileSync(new URL('../../docs/destinations.md', import.meta.url), 'utf8');
  const from = readme.indexOf(START);
  const to = readme.indexOf(END, from);
  if (from < 0 || to < 0) throw new Error('docs/destinations.md has no webhook-verify block');
  const code = /```js\n([\s\S]*?)```/.exec(readme.slice(from, to))?.[1];
  if (!code) throw new Error('the webhook-verify block holds no ```js code');
  const file = join(mkdtempSync(join(tmpdir(), 'tagrelay-verify-')), 'verify.mjs');
  writeFileSync(file, code);
  const mod = (await import(pathToFileURL(file).href)) as { verifyTagrelay?: VerifyTagrelay };
  if (typeof mod.verifyTagrelay !== 'function') throw new Error('the webhook-verify block does not export verifyTagrelay');
  return mod.verifyTagrelay;
}

interface WebhookBody {
  events?: Record<string, unknown>[];
}

/** The receiver: a {@link VendorFake} plus the events of the requests it accepted. */
export interface WebhookReceiver extends VendorFake<WebhookBody> {
  path: string;
  accepted(): Record<string, unknown>[];
}

/**
 * @example
 * const rx = await startWebhookReceiver({ secret }); // config url: `${rx.url}${rx.path}`
 */
export async function startWebhookReceiver(opts: { secret: string; refuse?: (event: Record<string, unknown>) => boolean }): Promise<WebhookReceiver> {
  const verify = await readmeVerifier();
  const path = '/hooks/tagrelay';
  const json = (status: number, body: unknown) => ({ status, body: JSON.stringify(body) });
  const fake = await startFake<WebhookBody>((req) => {
    if (req.method !== 'POST' || req.path !== path) return json(404, { error: 'not found' });
    if (!verify(req.raw, req.headers, opts.secret)) return json(401, { error: 'invalid signature' });
    const events = req.body?.events;
    if (!Array.isArray(events) || events.length === 0) return json(400, { error: 'expected {"events": [...]}' });
    const refused = opts.refuse ? events.find(opts.refuse) : undefined;
    if (refused) return json(400, { error: `event ${String(refused.event_id)} refused: unknown product` });
    return json(200, { received: events.length });
  });
  return Object.assign(fake, {
    path,
    accepted: () => fake.received.filter((r) => r.status === 200).flatMap((r) => r.body?.events ?? []),
  });
}
