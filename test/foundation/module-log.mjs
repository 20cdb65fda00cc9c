// Preloaded with NODE_OPTIONS=--import=<this file>: appends the URL of every module the process
// resolves to the file named by $TAGRELAY_MODULE_LOG (the same file, running as the loader hook).
import { appendFileSync } from 'node:fs';
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

if (isMainThread) register(import.meta.url);

/** Loader hook: note the module, resolve it as usual. */
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (process.env.TAGRELAY_MODULE_LOG) appendFileSync(process.env.TAGRELAY_MODULE_LOG, `${result.url}\n`);
  return result;
}
