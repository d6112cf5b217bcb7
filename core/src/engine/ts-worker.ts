/**
 * Starts a worker thread whose entry is a TypeScript module (Plexus runs TS without a build step).
 * On Node 20 a worker does not apply the parent's `--import tsx` hooks to its own entry file, even
 * with the flag in execArgv ("Unknown file extension .ts"), so the worker boots from a one-line
 * script that loads the entry through tsx's `tsImport`, which covers the entry's whole import
 * graph (dynamic imports included). The parent's exec flags are passed on unchanged.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

export function startTsWorker(entry: URL, options: Omit<WorkerOptions, 'eval' | 'execArgv'> = {}): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, { ...options, execArgv: [...process.execArgv] });
  const bootstrap =
    `import(${JSON.stringify(tsxApiUrl())})` +
    `.then((tsx) => tsx.tsImport(${JSON.stringify(entry.href)}, ${JSON.stringify(import.meta.url)}))`;
  return new Worker(bootstrap, { ...options, eval: true, execArgv: [...process.execArgv] });
}

let cachedApiUrl: string | undefined;

/** tsx's ESM API, resolved from this package so the worker's cwd does not matter */
function tsxApiUrl(): string {
  cachedApiUrl ??= pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
  return cachedApiUrl;
}
