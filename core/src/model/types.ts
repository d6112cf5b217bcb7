/**
 * Contracts between checkpoint loading, model plugins and the engine.
 * Model plugins implement `CausalLM`; the engine drives it with `ForwardBatch`es over a `KvPool`.
 */
import type { Tensor } from '@plexus/native';

/** Read-only view of every tensor in a checkpoint (one file or a sharded set), mmapped, zero copy. */
export interface TensorStore {
  names(): string[];
  has(name: string): boolean;
  /** throws CheckpointFormatError naming the tensor when absent */
  get(name: string): Tensor;
  /** total bytes of tensor data (for memory accounting) */
  readonly totalBytes: number;
  close(): void;
}

export interface SpecialTokens {
  bos?: { id: number; text: string };
  eos?: { id: number; text: string };
  pad?: { id: number; text: string };
  /** ids flagged `special` in added_tokens (skipped by skip_special_tokens) */
  specialIds: ReadonlySet<number>;
}

export interface GenerationDefaults {
  temperature?: number;
  topP?: number;
  topK?: number;
  minP?: number;
  repetitionPenalty?: number;
  maxNewTokens?: number;
  eosTokenIds: number[];
}

/** A loaded Hugging Face model directory. */
export interface Checkpoint {
  readonly dir: string;
  /** config.json as parsed (validated to be an object) */
  readonly config: Readonly<Record<string, unknown>>;
  readonly architecture: string;
  readonly tensors: TensorStore;
  readonly generation: GenerationDefaults;
}

/** What a model asks of its KV pool; model-agnostic (the KvPoolRegistry receives it). */
export interface KvPoolRequest {
  numLayers: number;
  numKvHeads: number;
  headDim: number;
  headDimV: number;
  /** tokens per block */
  blockSize: number;
  /** blocks the engine's memory budget allows */
  numBlocks: number;
  /** the model's raw config, for plugin predicates that need model specifics */
  modelConfig: Readonly<Record<string, unknown>>;
}

/** A paged KV pool: per layer K and V of shape [numBlocks, blockSize, nKvHeads, headDim] F32. */
export interface KvPool {
  readonly id: string;
  readonly blockSize: number;
  readonly numBlocks: number;
  /** bytes used per block across all layers (for budget accounting and metrics) */
  readonly bytesPerBlock: number;
  layer(index: number): { k: Float32Array; v: Float32Array };
  dispose(): void;
}

/** One sequence's slice of a batch. New tokens are tokens[qStart .. qStart+qLen). */
export interface BatchSequence {
  qStart: number;
  qLen: number;
  /** keys in cache after this step (cached prefix + new tokens) */
  kvLen: number;
  /** KV block ids covering positions [0, kvLen) */
  blockTable: Int32Array;
  /** return logits for the last new token of this sequence */
  wantLogits: boolean;
}

export interface ForwardBatch {
  tokens: Int32Array;
  positions: Int32Array;
  /** KV slot (block * blockSize + offset) for every new token */
  slotMapping: Int32Array;
  seqs: BatchSequence[];
  kv: KvPool;
}

export interface CausalLM {
  readonly architecture: string;
  readonly vocabSize: number;
  /** max positions the model supports */
  readonly maxContextLength: number;
  /** what this model needs from a KV pool per block (numBlocks/blockSize filled by the engine) */
  kvRequest(blockSize: number, numBlocks: number): KvPoolRequest;
  /** bytes of weights read per decoded token (roofline accounting) */
  readonly weightBytesPerToken: number;
  /** runs the batch; returns logits [number of seqs with wantLogits, vocabSize] in batch order */
  forward(batch: ForwardBatch): Float32Array;
  dispose(): void;
}

/** Tokenizer + chat template, as the server and CLI use them. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool' | string;
  content: string | null;
  [extra: string]: unknown;
}

export interface TextTokenizer {
  readonly vocabSize: number;
  readonly special: SpecialTokens;
  /** encodes as the tokenizer_config says (adds BOS etc. when configured) unless addSpecialTokens=false */
  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[];
  decode(ids: readonly number[], opts?: { skipSpecialTokens?: boolean }): string;
  /** renders the chat template; throws ChatTemplateError when the checkpoint has none */
  applyChatTemplate(messages: ChatMessage[], opts?: { addGenerationPrompt?: boolean; tools?: unknown[]; extra?: Record<string, unknown> }): string;
  readonly hasChatTemplate: boolean;
  /** streaming decoder that never emits half a UTF-8 character */
  createStreamDecoder(opts?: { skipSpecialTokens?: boolean; promptIds?: readonly number[] }): StreamDecoder;
}

export interface StreamDecoder {
  /** feed new ids; returns the newly completed text (possibly '') */
  push(ids: readonly number[]): string;
  /** text still held back (an incomplete character at the end) */
  flush(): string;
}
