/**
 * EngineClient for the main thread: runs the engine in a worker thread (engine-worker.ts), so the
 * HTTP event loop never runs a kernel. `ready` resolves once the worker has built its model, or
 * rejects with the worker's load error. If the worker dies, every in-flight request gets an error
 * event (EngineUnavailableError) and later submits are refused the same way — nothing hangs.
 */
import type { ResourceLimits, Worker } from 'node:worker_threads';
import { EngineUnavailableError, InvalidArgumentError } from '../errors.ts';
import type { EngineClient, EngineEvent, EngineStats, GenerateRequest } from './types.ts';
import { deserializeError, type EngineWorkerSpec, type FromWorker, type ToWorker } from './worker-protocol.ts';
import { DEFAULT_SHUTDOWN_DEADLINE_MS } from './engine.ts';
import { startTsWorker } from './ts-worker.ts';

export interface WorkerEngineClientOptions {
  resourceLimits?: ResourceLimits;
  /** extra time after the shutdown deadline before the worker is terminated; default 10 s */
  shutdownGraceMs?: number;
}

type State = 'starting' | 'ready' | 'closing' | 'dead';

export class WorkerEngineClient implements EngineClient {
  /** initial stats (contextLength, maxTotalTokens) once the model is loaded */
  readonly ready: Promise<EngineStats>;
  private readonly worker: Worker;
  private readonly listeners = new Map<string, (e: EngineEvent) => void>();
  private lastStats: EngineStats = { running: 0, waiting: 0, kvUsage: 0, prefixQueries: 0, prefixHits: 0 };
  private state: State = 'starting';
  private deathReason = '';
  private settleReady!: { resolve: (s: EngineStats) => void; reject: (e: Error) => void };
  private readonly exited: Promise<void>;
  private closing: Promise<void> | undefined;

  constructor(spec: EngineWorkerSpec, private readonly opts: WorkerEngineClientOptions = {}) {
    this.ready = new Promise((resolve, reject) => (this.settleReady = { resolve, reject }));
    this.ready.catch(() => {}); // observed here so an unawaited failure does not crash the process
    this.worker = startTsWorker(new URL('./engine-worker.ts', import.meta.url), {
      workerData: spec,
      ...(opts.resourceLimits ? { resourceLimits: opts.resourceLimits } : {}),
    });
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.on('message', (msg: FromWorker) => this.onMessage(msg));
    this.worker.on('error', (err) => this.die(`crashed: ${err.name}: ${err.message}`, err));
    this.worker.on('exit', (code) => this.die(`exited with code ${code}`));
  }

  submit(req: GenerateRequest, onEvent: (e: EngineEvent) => void): void {
    const id = typeof req?.id === 'string' ? req.id : '';
    const refuse = (error: Error) => queueMicrotask(() => onEvent({ type: 'error', requestId: id, error: { name: error.name, message: error.message } }));
    if (this.state === 'dead') return refuse(new EngineUnavailableError(`the engine worker ${this.deathReason}; restart the server`));
    if (this.state === 'closing') return refuse(new EngineUnavailableError('the engine is shutting down and takes no new requests; retry on another replica or after the restart'));
    if (this.listeners.has(id)) return refuse(new InvalidArgumentError(`request id '${id}' is already in flight; use a unique id per request`, 'id'));
    try {
      this.send({ type: 'submit', req });
    } catch (err) {
      return refuse(err instanceof Error ? err : new Error(String(err)));
    }
    this.listeners.set(id, onEvent);
  }

  abort(requestId: string): void {
    if (this.listeners.has(requestId) && this.state !== 'dead') this.send({ type: 'abort', requestId });
  }

  stats(): EngineStats {
    return { ...this.lastStats };
  }

  shutdown(opts: { deadlineMs?: number } = {}): Promise<void> {
    this.closing ??= this.close(opts.deadlineMs ?? DEFAULT_SHUTDOWN_DEADLINE_MS);
    return this.closing;
  }

  private async close(deadlineMs: number): Promise<void> {
    if (this.state === 'dead') return;
    this.state = 'closing';
    this.send({ type: 'shutdown', deadlineMs });
    let timer: NodeJS.Timeout | undefined;
    const overdue = new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs + (this.opts.shutdownGraceMs ?? 10_000))));
    await Promise.race([this.exited, overdue]);
    clearTimeout(timer);
    if ((this.state as State) !== 'dead') await this.worker.terminate();
    await this.exited;
  }

  private send(msg: ToWorker): void {
    this.worker.postMessage(msg);
  }

  private onMessage(msg: FromWorker): void {
    switch (msg.type) {
      case 'ready':
        this.lastStats = msg.stats;
        if (this.state === 'starting') this.state = 'ready';
        this.settleReady.resolve(msg.stats);
        break;
      case 'load-error':
        this.settleReady.reject(deserializeError(msg.error));
        this.die(`failed to load the model: ${msg.error.name}: ${msg.error.message}`);
        break;
      case 'events':
        this.lastStats = msg.stats;
        for (const e of msg.events) {
          const listener = this.listeners.get(e.requestId);
          if (e.type !== 'tokens') this.listeners.delete(e.requestId);
          deliver(listener, e);
        }
        break;
      case 'shutdown-done':
        break;
    }
  }

  private die(reason: string, cause?: Error): void {
    if (this.state === 'dead') return;
    const wasClosing = this.state === 'closing';
    this.state = 'dead';
    this.deathReason = reason;
    this.settleReady.reject(cause ?? new EngineUnavailableError(`the engine worker ${reason} before it was ready`));
    this.lastStats = { ...this.lastStats, running: 0, waiting: 0, kvUsage: 0 };
    const message = wasClosing ? `the engine shut down (${reason}) before the request finished` : `the engine worker ${reason}; the request was not completed`;
    for (const [requestId, listener] of this.listeners) deliver(listener, { type: 'error', requestId, error: { name: 'EngineUnavailableError', message } });
    this.listeners.clear();
  }
}

function deliver(listener: ((e: EngineEvent) => void) | undefined, e: EngineEvent): void {
  try {
    listener?.(e);
  } catch {
    // a listener's failure must not break delivery to the others
  }
}
