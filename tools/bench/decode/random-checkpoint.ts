/**
 * Writes (once) a random-weight BF16 checkpoint of a bench model into os.tmpdir(), and reuses it on
 * later runs. Matrices take slices of one shared random pool at varying offsets, so a ~2.5 GB file
 * needs only one pool-sized buffer in memory and a few seconds to generate.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSafetensors, type TensorToWrite } from '../../../core/src/model/index.ts';
import { denseTensorLayout, type BenchModelSpec } from './bench-models.ts';
import { RandomBf16, bf16Bits } from './random-bf16.ts';

/** bump when the generated content changes, so stale caches are rewritten */
const FORMAT_VERSION = 1;

export function benchCacheDir(): string {
  return join(tmpdir(), 'plexus-bench-models');
}

/** returns the model directory, writing it first unless a complete copy is already there */
export async function ensureRandomCheckpoint(spec: BenchModelSpec, log: (line: string) => void): Promise<string> {
  const dir = join(benchCacheDir(), spec.name);
  const stamp = JSON.stringify({ version: FORMAT_VERSION, config: spec.config });
  const stampFile = join(dir, 'bench-stamp.json');
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return dir;

  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const started = performance.now();
  const layout = denseTensorLayout(spec.config);
  const poolElems = Math.max(...layout.map((t) => t.shape.reduce((a, b) => a * b, 1))) + (1 << 20);
  const pool = new Uint16Array(poolElems);
  const rng = new RandomBf16(0x5eed);
  // uniform ±0.05: an init-like scale that keeps activations finite through every layer
  rng.fill(pool, 0.05);
  const one = bf16Bits(1);

  const tensors: Record<string, TensorToWrite> = {};
  let cursor = 0;
  for (const t of layout) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    let data: Uint16Array;
    if (t.kind === 'norm') {
      data = new Uint16Array(n).fill(one);
    } else {
      cursor = (cursor + 7919 * 64) % (poolElems - n + 1);
      data = pool.subarray(cursor, cursor + n);
    }
    tensors[t.name] = { dtype: 'BF16', shape: t.shape, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  }
  const tmpFile = join(dir, 'model.safetensors.partial');
  await writeSafetensors(tmpFile, tensors, { format: 'pt' });
  renameSync(tmpFile, join(dir, 'model.safetensors'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(spec.config, null, 2));
  writeFileSync(stampFile, stamp);
  log(`  wrote ${dir} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return dir;
}
