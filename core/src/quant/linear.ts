/**
 * The Linear abstraction model plugins build their projections from: `createLinear` picks the quant method
 * (unquantized, fp8-block, or whatever a plugin wraps in) through the QuantMethodRegistry and returns an
 * object that only knows how to multiply.
 */
import type { KernelOps, KernelRegistry } from '../kernel/registries/kernel-registry.ts';
import type { ProviderLookup } from '../kernel/registries/provider-lookup.ts';
import type { QuantLayer, QuantMethodRegistry } from '../kernel/registries/quant-method-registry.ts';
import type { TensorStore } from '../model/types.ts';
import './kernel-ops.ts';

export interface Linear {
  /** checkpoint prefix, e.g. 'model.layers.0.self_attn.q_proj' */
  readonly name: string;
  /** id of the quant method that built it, e.g. 'unquantized' | 'fp8-block' */
  readonly method: string;
  readonly outFeatures: number;
  readonly inFeatures: number;
  /** bytes read from memory per forward (weights, scales and bias): the decode roofline's numerator */
  readonly weightBytes: number;
  /** out[M, outFeatures] = x[M, inFeatures] · Wᵀ (+ bias) */
  forward(out: Float32Array, x: Float32Array, M: number): void;
}

/** What a linear quant method sees of the layer it builds (kind 'linear'). */
export interface LinearLayer extends QuantLayer {
  readonly kind: 'linear';
  readonly store: TensorStore;
  /** names the checkpoint in errors */
  readonly source: string;
  readonly ops: KernelOps;
  /** expected [outFeatures, inFeatures], checked when given */
  readonly shape?: readonly [number, number];
  /** true: `<name>.bias` must exist; false: ignored; undefined: used when present */
  readonly bias?: boolean;
}

/** A quant method for linear layers: the QuantMethodRegistry wraps these, then `create` binds the tensors. */
export interface LinearMethod {
  readonly id: string;
  create(layer: LinearLayer): Linear;
}

/** The part of a ModelLoadContext that building layers needs (pass the context itself). */
export interface QuantBuildContext {
  readonly ops: KernelOps;
  readonly quant: QuantMethodRegistry;
  /** when given, the core quant kernel rows are registered in it (idempotent) */
  readonly kernels?: KernelRegistry;
  /** the plugin loader's provider lookup: lets a missing quant method's error name its plugin and cause */
  readonly providers?: ProviderLookup;
}

export interface LinearOptions {
  /** expected [outFeatures, inFeatures] */
  shape?: readonly [number, number];
  bias?: boolean;
  /** names the checkpoint in errors (default 'checkpoint') */
  source?: string;
}
