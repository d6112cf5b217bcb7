/**
 * The QuantConfig handed to quant wrappers: the checkpoint's `quantization_config` plus the top-level keys
 * quant methods read (`expert_dtype`, `scale_fmt`: DeepSeek-V4 puts them next to quantization_config).
 */
import { CheckpointFormatError } from '../errors.ts';
import type { QuantConfig } from '../kernel/registries/quant-method-registry.ts';

const TOP_LEVEL_KEYS = ['expert_dtype', 'scale_fmt'] as const;

export function quantConfigOf(modelConfig: Readonly<Record<string, unknown>>): QuantConfig {
  const raw = modelConfig['quantization_config'];
  const out: Record<string, unknown> = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? { ...(raw as Record<string, unknown>) } : {};
  for (const key of TOP_LEVEL_KEYS) {
    if (out[key] === undefined && modelConfig[key] !== undefined && modelConfig[key] !== null) out[key] = modelConfig[key];
  }
  return Object.freeze(out);
}

export const DEFAULT_FP8_BLOCK: readonly [number, number] = [128, 128];

/** `weight_block_size` [blockN, blockK] (rows, columns per scale); default 128×128. */
export function fp8BlockSize(config: QuantConfig): [number, number] {
  const raw = config['weight_block_size'];
  if (raw === undefined || raw === null) return [...DEFAULT_FP8_BLOCK];
  if (!Array.isArray(raw) || raw.length !== 2 || !raw.every((v) => Number.isSafeInteger(v) && (v as number) >= 1)) {
    throw new CheckpointFormatError('config.json', `quantization_config.weight_block_size must be two positive integers [rows, cols], got ${JSON.stringify(raw)}`);
  }
  return [raw[0] as number, raw[1] as number];
}
