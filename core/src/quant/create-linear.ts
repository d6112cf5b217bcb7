/**
 * createLinear: the one way model code builds a projection. The QuantMethodRegistry decides the method
 * (base: unquantized; core wrapper: fp8-block; plugins may add more) from the checkpoint's tensors and
 * quantization_config; the result only knows how to multiply.
 *
 *   const q = createLinear(checkpoint.tensors, 'model.layers.0.self_attn.q_proj', checkpoint.config, ctx, { shape: [4096, 4096] });
 *   q.forward(out, x, M);
 */
import { ExtensionFailedError } from '../errors.ts';
import type { TensorStore } from '../model/types.ts';
import { ensureCoreQuant } from './core-quant-methods.ts';
import type { Linear, LinearLayer, LinearMethod, LinearOptions, QuantBuildContext } from './linear.ts';
import { quantConfigOf } from './quant-config.ts';
import { UNQUANTIZED_LINEAR } from './unquantized-linear.ts';

export function createLinear(
  store: TensorStore,
  prefix: string,
  modelConfig: Readonly<Record<string, unknown>>,
  ctx: QuantBuildContext,
  opts: LinearOptions = {},
): Linear {
  ensureCoreQuant(ctx);
  const layer: LinearLayer = {
    name: prefix,
    kind: 'linear',
    store,
    source: opts.source ?? 'checkpoint',
    ops: ctx.ops,
    ...(opts.shape ? { shape: opts.shape } : {}),
    ...(opts.bias !== undefined ? { bias: opts.bias } : {}),
  };
  const { method, chain } = ctx.quant.wrap<LinearMethod>(layer, UNQUANTIZED_LINEAR, quantConfigOf(modelConfig));
  if (typeof method.create !== 'function') {
    const id = chain[chain.length - 1] ?? 'unknown';
    throw new ExtensionFailedError('QuantMethodRegistry', id, `factory (layer ${prefix})`, {
      cause: new TypeError('returned a method without create(layer); a linear quant method must implement LinearMethod'),
    });
  }
  return method.create(layer);
}
