/**
 * Runs `plexus serve` as a child process on 127.0.0.1 with a free port, for the serving benchmark:
 * ready once it prints its URL, bounded by a start timeout, and always stopped (SIGTERM, then SIGKILL).
 * Its output goes to a log file whose tail is shown when it fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PLEXUS_BIN = fileURLToPath(new URL('../../../apps/server/src/bin/plexus.ts', import.meta.url));
const LOOPBACK = '127.0.0.1';

export interface ServeProcess {
  /** base URL on loopback, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly logFile: string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone */
  stop(graceMs?: number): Promise<void>;
}

export interface ServeProcessOptions {
  modelDir: string;
  logFile: string;
  startTimeoutMs: number;
  /** more `plexus serve` flags (never --host / --port: the benchmark stays on loopback) */
  extraArgs?: readonly string[];
}

export async function startServeProcess(opts: ServeProcessOptions): Promise<ServeProcess> {
  const args = ['--import', 'tsx', PLEXUS_BIN, 'serve', '--model-path', opts.modelDir, '--host', LOOPBACK, '--port', '0', ...(opts.extraArgs ?? [])];
  const log = openSync(opts.logFile, 'w');
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', log, 'pipe'] });
  closeSync(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = (graceMs = 15_000) => stopChild(child, exited, graceMs);
  try {
    const url = await waitForUrl(child, opts);
    return { url, logFile: opts.logFile, stop };
  } catch (err) {
    await stop(2_000);
    throw err;
  }
}

/** resolves with the URL from "plexus listening on <url>" (printed once the model is loaded) */
function waitForUrl(child: ChildProcess, opts: ServeProcessOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    const fail = (why: string) => {
      clearTimeout(timer);
      reject(new Error(`plexus serve --model-path ${opts.modelDir} ${why}\n--- stderr ---\n${stderr.slice(-2000)}\n--- log tail (${opts.logFile}) ---\n${tail(opts.logFile)}`));
    };
    const timer = setTimeout(() => fail(`was not ready within ${opts.startTimeoutMs / 1000} s`), opts.startTimeoutMs);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      stderr += chunk;
      const m = /plexus listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code, signal) => fail(`exited (${signal ?? `code ${code}`}) before it was ready`));
    child.once('error', (err) => fail(`could not be started: ${err.message}`));
  });
}

async function stopChild(child: ChildProcess, exited: Promise<void>, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const overdue = new Promise<'overdue'>((resolve) => (timer = setTimeout(() => resolve('overdue'), graceMs)));
  if ((await Promise.race([exited, overdue])) === 'overdue') {
    child.kill('SIGKILL');
    await exited;
  }
  clearTimeout(timer);
}

function tail(file: string, chars = 2000): string {
  try {
    return readFileSync(file, 'utf8').slice(-chars);
  } catch {
    return '(no log)';
  }
}
