/**
 * A deterministic fake CausalLM for engine tests, with no kernels.
 *
 * Its "KV" lives in the real KvPool the engine hands it: for every token it writes, at the token's
 * slot, (token, position) into K and a running hash of the whole prefix into V. Reading back the
 * previous position through the block table checks that the engine's slot mapping and block tables
 * agree with what was written before (wrong block, stale block, wrong position → it throws), and
 * the logits depend on the prefix hash, so any KV mix-up also changes the generated tokens.
 * `referenceLogits(tokens)` computes the same logits by recomputing from scratch (no KV at all).
 */
import type { CausalLM, ForwardBatch, KvPoolRequest } from '../../src/model/types.ts';

export interface FakeModelOptions {
  vocabSize?: number;
  maxContextLength?: number;
  /** token id whose logit gets `eosBias` added (0 = no bias) */
  eosTokenId?: number;
  eosBias?: number;
  /** called before each forward; throw from it to simulate a failing kernel */
  beforeForward?: (batch: ForwardBatch) => void;
}

const HASH_MASK = 0xffffff; // 24 bits: exact in float32

function mix(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h >>> 0;
}

export function prefixHash(prevHash: number, token: number, position: number): number {
  return mix(mix(prevHash, token), position) & HASH_MASK;
}

export class FakeCausalLM implements CausalLM {
  readonly architecture = 'FakeForCausalLM';
  readonly vocabSize: number;
  readonly maxContextLength: number;
  readonly weightBytesPerToken = 0;
  /** per forward: number of sequences and of new tokens */
  readonly batches: Array<{ seqs: number; tokens: number; wantLogits: number }> = [];
  disposed = false;
  private readonly opts: FakeModelOptions;

  constructor(opts: FakeModelOptions = {}) {
    this.opts = opts;
    this.vocabSize = opts.vocabSize ?? 64;
    this.maxContextLength = opts.maxContextLength ?? 4096;
  }

  kvRequest(blockSize: number, numBlocks: number): KvPoolRequest {
    return { numLayers: 1, numKvHeads: 1, headDim: 2, headDimV: 2, blockSize, numBlocks, modelConfig: {} };
  }

  forward(batch: ForwardBatch): Float32Array {
    if (this.disposed) throw new Error('fake model used after dispose');
    this.opts.beforeForward?.(batch);
    const { k, v } = batch.kv.layer(0);
    const bs = batch.kv.blockSize;
    const want = batch.seqs.filter((s) => s.wantLogits).length;
    const out = new Float32Array(want * this.vocabSize);
    let row = 0;
    this.batches.push({ seqs: batch.seqs.length, tokens: batch.tokens.length, wantLogits: want });
    const slotOf = (table: Int32Array, pos: number): number => {
      const block = table[Math.floor(pos / bs)];
      if (block === undefined) throw new Error(`fake model: position ${pos} is outside the block table (${table.length} blocks)`);
      return block * bs + (pos % bs);
    };
    for (const seq of batch.seqs) {
      if (seq.blockTable.length !== Math.ceil(seq.kvLen / bs)) {
        throw new Error(`fake model: block table has ${seq.blockTable.length} blocks for kvLen ${seq.kvLen}`);
      }
      const first = seq.kvLen - seq.qLen;
      // every cached position must hold its own position (catches wrong or recycled blocks)
      for (let pos = 0; pos < first; pos++) {
        const slot = slotOf(seq.blockTable, pos);
        if (k[slot * 2 + 1] !== pos) throw new Error(`fake model: slot ${slot} holds position ${k[slot * 2 + 1]}, expected ${pos}`);
        if (pos > 0) {
          const prev = slotOf(seq.blockTable, pos - 1);
          if (v[slot * 2] !== prefixHash(v[prev * 2]!, k[slot * 2]!, pos)) throw new Error(`fake model: hash chain broken at position ${pos}`);
        }
      }
      let hash = first > 0 ? v[slotOf(seq.blockTable, first - 1) * 2]! : 0;
      for (let j = 0; j < seq.qLen; j++) {
        const q = seq.qStart + j;
        const pos = first + j;
        if (batch.positions[q] !== pos) throw new Error(`fake model: token ${q} has position ${batch.positions[q]}, expected ${pos}`);
        const slot = slotOf(seq.blockTable, pos);
        if (batch.slotMapping[q] !== slot) throw new Error(`fake model: token ${q} maps to slot ${batch.slotMapping[q]}, block table says ${slot}`);
        hash = prefixHash(hash, batch.tokens[q]!, pos);
        k[slot * 2] = batch.tokens[q]!;
        k[slot * 2 + 1] = pos;
        v[slot * 2] = hash;
      }
      if (seq.wantLogits) this.fillLogits(hash, out.subarray(row * this.vocabSize, (row + 1) * this.vocabSize)), row++;
    }
    return out;
  }

  /** the logits after `tokens`, computed from scratch */
  referenceLogits(tokens: readonly number[]): Float32Array {
    let hash = 0;
    tokens.forEach((t, pos) => (hash = prefixHash(hash, t, pos)));
    const out = new Float32Array(this.vocabSize);
    this.fillLogits(hash, out);
    return out;
  }

  /** greedy continuation computed without any KV cache */
  referenceGreedy(prompt: readonly number[], maxNewTokens: number, stopIds: readonly number[] = []): number[] {
    const tokens = [...prompt];
    const out: number[] = [];
    while (out.length < maxNewTokens) {
      const logits = this.referenceLogits(tokens);
      let best = 0;
      for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
      out.push(best);
      tokens.push(best);
      if (stopIds.includes(best)) break;
    }
    return out;
  }

  dispose(): void {
    this.disposed = true;
  }

  private fillLogits(hash: number, out: Float32Array): void {
    for (let i = 0; i < out.length; i++) out[i] = ((mix(hash, i) & 0xffff) / 0xffff) * 8 - 4;
    const eos = this.opts.eosTokenId;
    if (eos !== undefined && this.opts.eosBias) out[eos] = out[eos]! + this.opts.eosBias;
  }
}

/** sampling params with everything off (greedy) */
export function greedy(maxNewTokens: number, extra: Partial<import('../../src/engine/types.ts').SamplingParams> = {}) {
  return {
    maxNewTokens,
    temperature: 0,
    topP: 1,
    topK: 0,
    minP: 0,
    repetitionPenalty: 1,
    presencePenalty: 0,
    frequencyPenalty: 0,
    stopTokenIds: [],
    ignoreEos: false,
    minNewTokens: 0,
    topLogprobs: 0,
    returnLogprob: false,
    ...extra,
  };
}

/** small seeded PRNG for test data */
export function testRng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
