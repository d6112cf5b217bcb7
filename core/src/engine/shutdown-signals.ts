/**
 * Process-level graceful shutdown (SIGTERM/SIGINT): stop taking work, let the engine finish or abort
 * in-flight requests within the deadline, exit 0. A second signal exits at once with code 1.
 */
import type { EngineClient } from './types.ts';
import type { EngineLogger } from './engine-hooks.ts';

export interface ShutdownSignalOptions {
  deadlineMs: number;
  /** stops new work first, e.g. closes the HTTP listener; not awaited beyond the engine's deadline + 1 s */
  stopAccepting?: () => void | Promise<void>;
  signals?: NodeJS.Signals[];
  /** default process.exit */
  exit?: (code: number) => void;
  logger?: EngineLogger;
}

/** installs the handlers; returns a function that removes them */
export function handleShutdownSignals(engine: Pick<EngineClient, 'shutdown'>, opts: ShutdownSignalOptions): () => void {
  const signals = opts.signals ?? ['SIGTERM', 'SIGINT'];
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  let started = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (started) {
      opts.logger?.warn({ signal }, 'second shutdown signal: exiting now');
      exit(1);
      return;
    }
    started = true;
    opts.logger?.warn({ signal, deadlineMs: opts.deadlineMs }, 'shutting down: no new requests, finishing in-flight ones');
    void (async () => {
      let code = 0;
      try {
        const stopped = Promise.resolve().then(() => opts.stopAccepting?.());
        await engine.shutdown({ deadlineMs: opts.deadlineMs });
        // the listener closes once its streams ended (they end with the engine's last events)
        await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
      } catch (err) {
        opts.logger?.error({ err }, 'shutdown failed');
        code = 1;
      }
      exit(code);
    })();
  };
  for (const s of signals) process.on(s, onSignal);
  return () => {
    for (const s of signals) process.off(s, onSignal);
  };
}
