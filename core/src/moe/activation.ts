/**
 * The expert activation h = min(g, L) · σ(α · min(g, L)) · (clamp(u, ±L) + offset): SwiGLU with the optional
 * clamp (DeepSeek-V4 `swiglu_limit`) and gpt-oss's α = 1.702, offset 1. Plain SwiGLU (α 1, offset 0) runs
 * on the native swiglu kernel; the general form here.
 */
import type { SwigluActivation } from '@plexus/native';
import { InvalidArgumentError } from '../errors.ts';
import type { KernelOps } from '../kernel/registries/kernel-registry.ts';

export function validateActivation(a: SwigluActivation, where: string): void {
  if (a.limit !== undefined && !(a.limit > 0 && Number.isFinite(a.limit))) throw new InvalidArgumentError(`${where}: swiglu limit must be a finite number > 0, got ${a.limit}`);
  if (a.alpha !== undefined && !Number.isFinite(a.alpha)) throw new InvalidArgumentError(`${where}: activation alpha must be finite, got ${a.alpha}`);
  if (a.upOffset !== undefined && !Number.isFinite(a.upOffset)) throw new InvalidArgumentError(`${where}: activation upOffset must be finite, got ${a.upOffset}`);
}

/** out[i] = act(gate[i], up[i]) for i < n (the arrays may be longer) */
export function applyActivation(ops: KernelOps, out: Float32Array, gate: Float32Array, up: Float32Array, n: number, a: SwigluActivation): void {
  const alpha = a.alpha ?? 1, offset = a.upOffset ?? 0;
  if (alpha === 1 && offset === 0) {
    ops.swiglu(out.subarray(0, n), gate.subarray(0, n), up.subarray(0, n), a.limit);
    return;
  }
  const L = a.limit;
  for (let i = 0; i < n; i++) {
    let g = gate[i]!, u = up[i]!;
    if (L !== undefined) {
      g = Math.min(g, L);
      u = Math.min(Math.max(u, -L), L);
    }
    out[i] = (g / (1 + Math.exp(-alpha * g))) * (u + offset);
  }
}
