/**
 * The in-process engine: scheduler + KV pool + model + sampler behind the EngineClient contract.
 *
 * A step loop runs while there is work and yields to the event loop between steps, so submits and
 * aborts land between steps. Each step: schedule → hooks → model.forward → commit KV → sample →
 * emit events. A forward pass that throws fails the requests of that batch; a throwing hook fails
 * the requests it concerns; the engine keeps serving the others.
 * The engine owns the model and the KV pool it creates: shutdown disposes both.
 */
import { EngineUnavailableError, InvalidArgumentError } from '../errors.ts';
import type { CausalLM, KvPool, KvPoolRequest } from '../model/types.ts';
import { BlockAllocator } from './block-allocator.ts';
import type { EngineHookPayloads, EngineHookSink, EngineLogger, HookFailure } from './engine-hooks.ts';
import { resolveEngineConfig, type EngineConfig, type EngineOptions } from './engine-options.ts';
import { buildForwardBatch } from './forward-batch.ts';
import { createDefaultKvPool, kvBytesPerBlock } from './kv-pool.ts';
import { RadixCache } from './radix-cache.ts';
import { validateGenerateRequest } from './request-validation.ts';
import { Sampler, type ArgmaxRowsKernel, type RowOwner } from './sampler.ts';
import { Scheduler, type ScheduledChunk } from './scheduler.ts';
import { Sequence } from './sequence.ts';
import type { EngineClient, EngineEvent, EngineStats, FinishReason, GenerateRequest } from './types.ts';

export interface EngineDeps {
  /** owned by the engine from now on */
  model: CausalLM;
  /** KV pool factory; the core's KvPoolRegistry decides in production. Default: the core paged pool */
  createKvPool?: (req: KvPoolRequest) => KvPool;
  /** prices one block for the kvCacheMemoryBytes budget; default: the core paged pool's size */
  kvBytesPerBlock?: (req: KvPoolRequest) => number;
  hooks?: EngineHookSink;
  logger?: EngineLogger;
  /** batched argmax for a step's greedy rows (the runtime's 'argmax' kernel); default: a JS loop per row */
  argmaxRows?: ArgmaxRowsKernel;
}

export const DEFAULT_SHUTDOWN_DEADLINE_MS = 30_000;

export class Engine implements EngineClient {
  readonly config: EngineConfig;
  private readonly model: CausalLM;
  private readonly kv: KvPool;
  private readonly allocator: BlockAllocator;
  private readonly cache: RadixCache;
  private readonly scheduler: Scheduler;
  private readonly sampler: Sampler;
  private readonly eosIds: ReadonlySet<number>;
  private readonly hooks: EngineHookSink | undefined;
  private readonly logger: EngineLogger | undefined;
  private readonly requests = new Map<string, Sequence>();
  private drainWaiters: Array<() => void> = [];
  private looping = false;
  private accepting = true;
  private disposed = false;
  private closing: Promise<void> | undefined;

  constructor(deps: EngineDeps, options: EngineOptions = {}) {
    this.model = deps.model;
    this.hooks = deps.hooks;
    this.logger = deps.logger;
    this.config = resolveEngineConfig(deps.model, options, deps.kvBytesPerBlock ?? kvBytesPerBlock);
    const { blockSize, numBlocks } = this.config;
    this.kv = (deps.createKvPool ?? createDefaultKvPool)(deps.model.kvRequest(blockSize, numBlocks));
    if (this.kv.blockSize !== blockSize || this.kv.numBlocks < numBlocks) {
      const got = `${this.kv.numBlocks} blocks of ${this.kv.blockSize}`;
      this.kv.dispose();
      throw new InvalidArgumentError(`KV pool '${this.kv.id}' returned ${got} tokens; the engine asked for ${numBlocks} blocks of ${blockSize}`, 'kvPool');
    }
    this.allocator = new BlockAllocator(numBlocks, blockSize);
    this.cache = new RadixCache(this.allocator, this.config.radixCache);
    this.scheduler = new Scheduler(this.allocator, this.cache, this.config);
    this.sampler = new Sampler(deps.model.vocabSize, this.config.eosTokenIds, deps.argmaxRows);
    this.eosIds = new Set(this.config.eosTokenIds);
  }

  submit(req: GenerateRequest, onEvent: (e: EngineEvent) => void): void {
    const id = typeof req?.id === 'string' ? req.id : '';
    try {
      if (!this.accepting) throw new EngineUnavailableError('the engine is shutting down and takes no new requests; retry on another replica or after the restart');
      validateGenerateRequest(req, this.model.vocabSize, this.config.contextLength);
      if (this.requests.has(id)) throw new InvalidArgumentError(`request id '${id}' is already in flight; use a unique id per request`, 'id');
      const sampling = { ...req.sampling, stopTokenIds: [...req.sampling.stopTokenIds] };
      if (sampling.maxNewTokens === 0) {
        deliverLater(onEvent, { type: 'finished', requestId: id, reason: 'length' });
        return;
      }
      const seq = new Sequence(id, req.inputIds, sampling, this.sampler.createState(req.inputIds, sampling), onEvent, this.cache.emptyCursor());
      this.scheduler.enqueue(seq);
      this.requests.set(id, seq);
      this.kick();
    } catch (err) {
      deliverLater(onEvent, { type: 'error', requestId: id, error: describeError(err) });
    }
  }

  /** frees the request's KV at once and reports it finished with reason 'abort'; unknown ids are ignored */
  abort(requestId: string): void {
    const seq = this.requests.get(requestId);
    if (seq) this.finish(seq, 'abort');
  }

  stats(): EngineStats {
    const c = this.cache.counters;
    return {
      running: this.scheduler.running.length,
      waiting: this.scheduler.waiting.length,
      kvUsage: this.allocator.usedBlocks / this.allocator.numBlocks,
      prefixQueries: c.queryTokens,
      prefixHits: c.hitTokens,
      contextLength: this.config.contextLength,
      maxTotalTokens: this.config.numBlocks * this.config.blockSize,
    };
  }

  shutdown(opts: { deadlineMs?: number } = {}): Promise<void> {
    this.closing ??= this.close(opts.deadlineMs ?? DEFAULT_SHUTDOWN_DEADLINE_MS);
    return this.closing;
  }

  /** resolves once no request is in flight */
  drained(): Promise<void> {
    if (this.requests.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** runs one scheduling step synchronously; returns whether work remains (tests, benchmarks) */
  step(): boolean {
    if (this.disposed) return false;
    try {
      this.runStep();
    } catch (err) {
      // a bug in scheduling or bookkeeping: fail what is in flight rather than loop on it
      this.logger?.error({ err }, 'engine step failed; failing all in-flight requests');
      for (const seq of [...this.requests.values()]) this.fail(seq, err);
    }
    return this.scheduler.hasWork;
  }

  private kick(): void {
    if (this.looping || this.disposed) return;
    this.looping = true;
    void this.loop();
  }

  /**
   * Steps back to back while work exists, yielding to the event loop only for one setImmediate turn
   * between steps (submits and aborts land there). The first step also waits one turn, so requests
   * that arrive together (a burst of worker messages) are admitted into one batch, and no event is
   * ever delivered inside submit().
   */
  private async loop(): Promise<void> {
    try {
      await nextTurn();
      while (!this.disposed && this.scheduler.hasWork) {
        this.step();
        await nextTurn();
      }
    } finally {
      this.looping = false;
    }
  }

  private runStep(): void {
    const plan = this.scheduler.schedule();
    for (const seq of plan.preempted) {
      this.fire('requestRetracted', { requestId: seq.id, generatedTokens: seq.generated }, [seq]);
    }
    for (const seq of plan.admitted) {
      const payload = { requestId: seq.id, promptTokens: seq.promptLength, cachedTokens: seq.kvLen, resumed: seq.preemptions > 0 };
      this.fire('requestAdmitted', payload, [seq]);
    }
    let chunks = live(plan.chunks);
    if (chunks.length === 0) return;
    let batch = buildForwardBatch(chunks, this.kv);
    const decodeSlots: EngineHookPayloads['decodeSlotsMapped']['decode'] = [];
    const decodeSeqs: Sequence[] = [];
    chunks.forEach((c, i) => {
      if (c.length !== 1 || !c.seq.prefillDone) return;
      decodeSlots.push({ requestId: c.seq.id, position: c.start, slot: batch.slotMapping[batch.seqs[i]!.qStart]! });
      decodeSeqs.push(c.seq);
    });
    if (decodeSeqs.length > 0) {
      this.fire('decodeSlotsMapped', { requestIds: decodeSeqs.map((s) => s.id), batch, decode: decodeSlots }, decodeSeqs);
    }
    this.fire('beforeForward', { requestIds: chunks.map((c) => c.seq.id), batch }, chunks.map((c) => c.seq));
    if (live(chunks).length !== chunks.length) {
      chunks = live(chunks);
      if (chunks.length === 0) return;
      batch = buildForwardBatch(chunks, this.kv);
    }

    const vocab = this.model.vocabSize;
    const wanted = chunks.reduce((n, c) => n + (c.wantLogits ? 1 : 0), 0);
    let logits: Float32Array;
    try {
      logits = this.model.forward(batch);
      if (!(logits instanceof Float32Array) || logits.length !== wanted * vocab) {
        throw new RangeError(`model.forward returned ${describeLength(logits)} logits; expected ${wanted} x ${vocab}`);
      }
    } catch (err) {
      this.logger?.error({ err, requestIds: chunks.map((c) => c.seq.id) }, 'forward pass failed; failing its requests');
      for (const c of chunks) this.fail(c.seq, err);
      return;
    }
    this.fire('afterForward', { requestIds: chunks.map((c) => c.seq.id), batch, logits }, chunks.map((c) => c.seq));
    this.scheduler.commit(live(chunks));

    const sampled = chunks.filter((c) => c.wantLogits);
    const owners: RowOwner[] = sampled.map(({ seq }) => (seq.status === 'running' ? { params: seq.sampling, state: seq.samplerState } : undefined));
    const greedy = this.sampler.greedyTokens(logits, owners);
    sampled.forEach((c, row) => {
      if (c.seq.status === 'running') this.advance(c.seq, logits.subarray(row * vocab, (row + 1) * vocab), greedy[row]!);
    });
  }

  /** samples the next token of a sequence whose last chunk produced logits */
  private advance(seq: Sequence, rowLogits: Float32Array, greedyToken: number): void {
    if (!seq.prefillDone) {
      seq.prefillDone = true;
      this.fire('prefillDone', { requestId: seq.id, promptTokens: seq.promptLength }, [seq]);
      if (seq.status !== 'running') return;
    }
    let tokenId: number;
    let event: EngineEvent & { type: 'tokens' };
    try {
      const result = this.sampler.sample(rowLogits, seq.sampling, seq.samplerState, greedyToken);
      tokenId = result.tokenId;
      event = { type: 'tokens', requestId: seq.id, tokenIds: [tokenId] };
      if (result.logprob) event.logprobs = [result.logprob];
    } catch (err) {
      this.fail(seq, err);
      return;
    }
    seq.tokens.push(tokenId);
    if (seq.generated === 1) event.cachedPromptTokens = seq.cachedPromptTokens ?? 0;
    this.emit(seq, event);

    const p = seq.sampling;
    if (p.stopTokenIds.includes(tokenId) || (!p.ignoreEos && this.eosIds.has(tokenId))) {
      this.finish(seq, 'stop', tokenId);
    } else if (seq.generated >= p.maxNewTokens || seq.tokens.length >= this.config.contextLength) {
      this.finish(seq, 'length');
    }
  }

  private finish(seq: Sequence, reason: FinishReason, matchedStopTokenId?: number): void {
    if (seq.status === 'finished') return;
    this.scheduler.remove(seq);
    this.requests.delete(seq.id);
    const event: EngineEvent = { type: 'finished', requestId: seq.id, reason };
    if (matchedStopTokenId !== undefined) event.matchedStopTokenId = matchedStopTokenId;
    this.emit(seq, event);
    this.fire('requestFinished', { requestId: seq.id, reason, promptTokens: seq.promptLength, completionTokens: seq.generated }, []);
    this.notifyIfDrained();
  }

  private fail(seq: Sequence, err: unknown): void {
    if (seq.status === 'finished') return;
    this.scheduler.remove(seq);
    this.requests.delete(seq.id);
    this.emit(seq, { type: 'error', requestId: seq.id, error: describeError(err) });
    this.fire('requestFinished', { requestId: seq.id, reason: 'error', promptTokens: seq.promptLength, completionTokens: seq.generated }, []);
    this.notifyIfDrained();
  }

  private emit(seq: Sequence, event: EngineEvent): void {
    try {
      seq.onEvent(event);
    } catch (err) {
      this.logger?.warn({ err, requestId: seq.id }, 'engine event listener threw; ignored');
    }
  }

  /** fires a hook; failures fail the named requests among `concerned` (all of them when none is named) */
  private fire<E extends keyof EngineHookPayloads>(event: E, payload: EngineHookPayloads[E], concerned: Sequence[]): void {
    if (!this.hooks) return;
    let failures: readonly HookFailure[];
    try {
      failures = this.hooks.emit(event, payload) ?? [];
    } catch (err) {
      const { name, message } = describeError(err);
      failures = [{ name, message, requestIds: hookRequestIds(err) }];
    }
    for (const failure of failures) {
      this.logger?.warn({ err: failure, event }, 'lifecycle hook failed');
      const named = failure.requestIds.length > 0 ? concerned.filter((s) => failure.requestIds.includes(s.id)) : concerned;
      for (const seq of named) this.fail(seq, failure);
    }
  }

  private notifyIfDrained(): void {
    if (this.requests.size > 0 || this.drainWaiters.length === 0) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }

  private async close(deadlineMs: number): Promise<void> {
    this.accepting = false;
    if (this.requests.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.drained(), new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, deadlineMs))))]);
      clearTimeout(timer);
    }
    for (const seq of [...this.requests.values()]) this.finish(seq, 'abort');
    this.disposed = true;
    try {
      this.kv.dispose();
      this.model.dispose();
    } catch (err) {
      this.logger?.warn({ err }, 'disposing the model or KV pool failed');
    }
  }
}

function nextTurn(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

function live(chunks: readonly ScheduledChunk[]): ScheduledChunk[] {
  return chunks.filter((c) => c.seq.status === 'running');
}

function hookRequestIds(err: unknown): readonly string[] {
  const ids = (err as { requestIds?: unknown } | null)?.requestIds;
  return Array.isArray(ids) ? ids.filter((x): x is string => typeof x === 'string') : [];
}

function describeLength(x: unknown): string {
  return x instanceof Float32Array ? String(x.length) : `a ${x === null ? 'null' : typeof x} instead of Float32Array`;
}

export function describeError(err: unknown): { name: string; message: string } {
  if (err instanceof Error) return { name: err.name, message: err.message };
  if (err && typeof err === 'object' && typeof (err as { message?: unknown }).message === 'string') {
    const e = err as { name?: unknown; message: string };
    return { name: typeof e.name === 'string' ? e.name : 'Error', message: e.message };
  }
  return { name: 'Error', message: String(err) };
}

/** callbacks never run inside submit(): callers can rely on submit returning first */
function deliverLater(onEvent: (e: EngineEvent) => void, event: EngineEvent): void {
  queueMicrotask(() => {
    try {
      onEvent(event);
    } catch {
      // a listener's own failure has nowhere to go
    }
  });
}
