/**
 * Lifecycle events the engine fires, and the sink it fires them into. Payloads are supersets of the
 * kernel's `LifecycleEvents` (core/src/kernel/registries/lifecycle-hooks.ts), so a `LifecycleHookBus`
 * is an `EngineHookSink` as is; any `{ emit(event: string, payload: unknown) }` fits too.
 *
 * Failure policy: `emit` may return failures (objects naming `requestIds`, like the bus's
 * HookHandlerError) or throw; either way only the requests concerned fail — never the step loop.
 */
import type { ForwardBatch } from '../model/types.ts';
import type { FinishReason } from './types.ts';

export interface EngineHookPayloads {
  /** a request got KV blocks and joined the running set (again, when `resumed`) */
  requestAdmitted: { requestId: string; promptTokens: number; cachedTokens: number; resumed: boolean };
  /** a request's prompt is fully in the KV cache; its first token is sampled next */
  prefillDone: { requestId: string; promptTokens: number };
  /** the batch holds decode tokens and their KV slots are final (fires before beforeForward) */
  decodeSlotsMapped: { requestIds: string[]; batch: ForwardBatch; decode: Array<{ requestId: string; position: number; slot: number }> };
  beforeForward: { requestIds: string[]; batch: ForwardBatch };
  afterForward: { requestIds: string[]; batch: ForwardBatch; logits: Float32Array };
  requestFinished: { requestId: string; reason: FinishReason | 'error'; promptTokens: number; completionTokens: number };
  /** preempted for lack of KV blocks: its KV is freed and it waits to be recomputed */
  requestRetracted: { requestId: string; generatedTokens: number };
}

export type EngineHookEvent = keyof EngineHookPayloads;

/** what a failed handler reports (HookHandlerError has this shape) */
export interface HookFailure {
  readonly name?: string;
  readonly message: string;
  readonly requestIds: readonly string[];
}

export interface EngineHookSink {
  emit<E extends EngineHookEvent>(event: E, payload: EngineHookPayloads[E]): readonly HookFailure[] | void;
}

/** pino-compatible subset */
export interface EngineLogger {
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
