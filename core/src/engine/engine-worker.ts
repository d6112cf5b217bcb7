/**
 * Engine worker entry (worker_threads). Builds its model from the spec in workerData, runs an Engine
 * and talks to WorkerEngineClient through worker-protocol messages. Events of one step go out as
 * one message, with fresh stats.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Engine } from './engine.ts';
import { loadEnginePartsForWorker, type WorkerEngineParts } from './model-loader.ts';
import { serializeError, type EngineWorkerSpec, type FromWorker, type ToWorker } from './worker-protocol.ts';
import type { EngineEvent } from './types.ts';

const port = parentPort;
if (!port) throw new Error('engine-worker.ts runs inside a worker thread; use WorkerEngineClient to start it');

const spec = workerData as EngineWorkerSpec;
const post = (msg: FromWorker) => port.postMessage(msg);

// listen before loading so nothing sent meanwhile is lost
const early: ToWorker[] = [];
let handle: ((msg: ToWorker) => void) | undefined;
port.on('message', (msg: ToWorker) => (handle ? handle(msg) : early.push(msg)));

async function main(): Promise<void> {
  let engine: Engine;
  let parts: WorkerEngineParts | undefined;
  try {
    parts = await loadEnginePartsForWorker(spec);
    const { dispose: _dispose, ...deps } = parts;
    engine = new Engine(deps, spec.engine);
  } catch (err) {
    if (parts) releaseAfterFailedStart(parts);
    post({ type: 'load-error', error: serializeError(err) });
    port!.close();
    return;
  }
  const release = () => {
    try {
      parts?.dispose?.();
    } catch (err) {
      parts?.logger?.warn({ err }, 'releasing the engine runtime failed');
    }
  };

  let outbox: EngineEvent[] = [];
  const flush = () => {
    const events = outbox;
    outbox = [];
    post({ type: 'events', events, stats: engine.stats() });
  };
  const onEvent = (e: EngineEvent) => {
    if (outbox.length === 0) queueMicrotask(flush);
    outbox.push(e);
  };

  handle = (msg) => {
    switch (msg.type) {
      case 'submit':
        engine.submit(msg.req, onEvent);
        break;
      case 'abort':
        engine.abort(msg.requestId);
        break;
      case 'shutdown':
        void engine.shutdown({ deadlineMs: msg.deadlineMs }).then(() => {
          if (outbox.length > 0) flush();
          release();
          post({ type: 'shutdown-done' });
          port!.close();
        });
        break;
    }
  };
  post({ type: 'ready', stats: engine.stats() });
  for (const msg of early.splice(0)) handle(msg);
}

/** the Engine never took ownership: the model and the loader's resources are released here */
function releaseAfterFailedStart(parts: WorkerEngineParts): void {
  for (const release of [() => parts.model.dispose(), () => parts.dispose?.()]) {
    try {
      release();
    } catch {
      // the load error is what gets reported
    }
  }
}

void main();
