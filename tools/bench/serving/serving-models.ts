/**
 * What the serving benchmark can serve: the embedded model, a bench model of ../decode/bench-models.ts
 * (random BF16 weights, written once by ../decode/random-checkpoint.ts) or any model directory.
 * A bench checkpoint has no tokenizer, and `plexus serve` needs one: it is served from a sibling
 * directory that links the weights and borrows the embedded model's Qwen tokenizer (the benchmark
 * sends token ids, so the tokenizer only has to load and detokenize).
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_MODELS } from '../decode/bench-models.ts';
import { benchCacheDir, ensureRandomCheckpoint } from '../decode/random-checkpoint.ts';

export const EMBEDDED_MODEL_DIR = fileURLToPath(new URL('../../../models/plexus-tiny-qwen3', import.meta.url));
const BORROWED_TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json'];

export interface ServingModel {
  name: string;
  dir: string;
  config: Record<string, unknown>;
  /** bytes of all *.safetensors files */
  checkpointBytes: number;
}

export function servingModelNames(): string[] {
  return ['embedded', ...BENCH_MODELS.map((m) => m.name)];
}

export async function resolveServingModel(name: string, log: (line: string) => void): Promise<ServingModel> {
  if (name === 'embedded') return describe('embedded (plexus-tiny-qwen3)', EMBEDDED_MODEL_DIR);
  const spec = BENCH_MODELS.find((m) => m.name === name);
  if (spec) {
    const weightsDir = await ensureRandomCheckpoint(spec, log);
    return describe(`${name} (random bf16)`, servingDirFor(weightsDir, join(benchCacheDir(), `${name}-serving`)));
  }
  const dir = resolve(name);
  if (!existsSync(join(dir, 'config.json'))) {
    throw new Error(`--model ${name}: neither a known model (${servingModelNames().join(', ')}) nor a model directory with config.json`);
  }
  return describe(name, dir);
}

/** links the bench checkpoint's files next to a borrowed tokenizer (idempotent) */
function servingDirFor(weightsDir: string, dir: string): string {
  mkdirSync(dir, { recursive: true });
  for (const file of readdirSync(weightsDir)) {
    if (!file.endsWith('.safetensors') && file !== 'config.json') continue;
    const link = join(dir, file);
    if (!existsSync(link)) symlinkSync(join(weightsDir, file), link);
  }
  for (const file of BORROWED_TOKENIZER_FILES) copyFileSync(join(EMBEDDED_MODEL_DIR, file), join(dir, file));
  return dir;
}

function describe(name: string, dir: string): ServingModel {
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  const checkpointBytes = readdirSync(dir)
    .filter((f) => f.endsWith('.safetensors'))
    .reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
  return { name, dir, config, checkpointBytes };
}
