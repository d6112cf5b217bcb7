/**
 * Writes (once) the random-weight DeepSeek-V4 benchmark checkpoint into os.tmpdir() and reuses it while its
 * stamp (format version + config) matches. Tensors take slices of a few shared random pools at varying
 * offsets, so ~2.5 GB are written from ~200 MB of random data in seconds. Values keep activations finite:
 * BF16 ±0.05, FP8 codes below the top exponent (no NaN codes) × 2^-6, FP4 codes × 2^-8, norms 1.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DTYPE_BYTES } from '@plexus/native';
import { writeSafetensors, type TensorToWrite } from '../../../core/src/model/index.ts';
import { RandomBf16, bf16Bits } from '../decode/random-bf16.ts';
import { DSV4_BENCH_SHAPE, dsv4BenchConfig, type ExpertFormat } from './bench-config.ts';
import { dsv4TensorLayout, type FillKind, type LayoutTensor } from './tensor-layout.ts';

/** bump when the generated content changes, so stale caches are rewritten */
const FORMAT_VERSION = 1;
const FP8_SCALE = 127 - 6;
const FP4_SCALE = 127 - 8;

export function dsv4BenchDir(experts: ExpertFormat): string {
  return join(tmpdir(), 'plexus-bench-models', `dsv4-bench-${experts}`);
}

/** returns the checkpoint directory, writing it first unless a complete copy is already there */
export async function ensureDsv4Checkpoint(experts: ExpertFormat, log: (line: string) => void): Promise<string> {
  const dir = dsv4BenchDir(experts);
  const config = dsv4BenchConfig(experts);
  const stamp = JSON.stringify({ version: FORMAT_VERSION, config });
  const stampFile = join(dir, 'bench-stamp.json');
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return dir;

  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const started = performance.now();
  const layout = dsv4TensorLayout(experts);
  const pools = new RandomPools(layout);
  const tensors: Record<string, TensorToWrite> = {};
  for (const t of layout) tensors[t.name] = { dtype: t.dtype, shape: t.shape, data: pools.data(t) };
  const partial = join(dir, 'model.safetensors.partial');
  await writeSafetensors(partial, tensors, { format: 'pt' });
  renameSync(partial, join(dir, 'model.safetensors'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  writeFileSync(stampFile, stamp);
  const bytes = layout.reduce((s, t) => s + bytesOf(t), 0);
  log(`  wrote ${(bytes / 2 ** 30).toFixed(2)} GiB to ${dir} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return dir;
}

export function bytesOf(t: LayoutTensor): number {
  return t.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[t.dtype];
}

/** one random pool per fill kind; each tensor gets a slice at a new offset */
class RandomPools {
  private readonly pools = new Map<FillKind, Uint8Array>();
  private cursor = 0;

  constructor(layout: readonly LayoutTensor[]) {
    const need = new Map<FillKind, number>();
    for (const t of layout) need.set(t.fill, Math.max(need.get(t.fill) ?? 0, bytesOf(t)));
    const margin = 1 << 20;
    for (const [kind, bytes] of need) this.pools.set(kind, makePool(kind, bytes + (isRandom(kind) ? margin : 0)));
  }

  data(t: LayoutTensor): Uint8Array {
    const n = bytesOf(t);
    const pool = this.pools.get(t.fill)!;
    if (t.fill === 'tid2eid') return pool.subarray(0, n);
    // offsets in whole 8-byte steps keep every dtype aligned
    this.cursor = (this.cursor + 7919 * 64) % Math.max(1, Math.floor((pool.byteLength - n) / 8) + 1);
    const at = isRandom(t.fill) ? this.cursor * 8 : 0;
    return pool.subarray(at, at + n);
  }
}

function isRandom(kind: FillKind): boolean {
  return kind === 'bf16' || kind === 'f32' || kind === 'fp8' || kind === 'fp4';
}

function makePool(kind: FillKind, bytes: number): Uint8Array {
  switch (kind) {
    case 'ones': return new Uint8Array(new Uint16Array(bytes / 2).fill(bf16Bits(1)).buffer);
    case 'f32-ones': return new Uint8Array(new Float32Array(bytes / 4).fill(1).buffer);
    case 'fp8-scale': return new Uint8Array(bytes).fill(FP8_SCALE);
    case 'fp4-scale': return new Uint8Array(bytes).fill(FP4_SCALE);
    case 'bf16': {
      const u16 = new Uint16Array(Math.ceil(bytes / 2));
      new RandomBf16(0x5eed).fill(u16, 0.05);
      return new Uint8Array(u16.buffer);
    }
    case 'f32': {
      const r = xorshift(0xf32);
      return new Uint8Array(Float32Array.from({ length: Math.ceil(bytes / 4) }, () => (r() / 4294967296 - 0.5) * 0.1).buffer);
    }
    case 'fp8': return randomBytes(bytes, 0xf8, 0xbf); // bit 6 clear: exponent ≤ 7, never the NaN codes 0x7f / 0xff
    case 'fp4': return randomBytes(bytes, 0xf4, 0xff);
    case 'tid2eid': {
      // token t → topK distinct experts (11 is odd, so 11·j mod 64 differs for every j < 64)
      const { vocab, topK, experts } = DSV4_BENCH_SHAPE;
      const ids = new BigInt64Array(vocab * topK);
      for (let t = 0; t < vocab; t++) for (let j = 0; j < topK; j++) ids[t * topK + j] = BigInt((t * 7 + j * 11) % experts);
      return new Uint8Array(ids.buffer);
    }
  }
}

function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s;
  };
}

function randomBytes(n: number, seed: number, mask: number): Uint8Array {
  const out = new Uint8Array(n);
  const words = new Uint32Array(out.buffer, 0, n >>> 2);
  const r = xorshift(seed);
  const m = mask * 0x01010101;
  for (let i = 0; i < words.length; i++) words[i] = (r() & m) >>> 0;
  for (let i = words.length * 4; i < n; i++) out[i] = r() & mask;
  return out;
}
