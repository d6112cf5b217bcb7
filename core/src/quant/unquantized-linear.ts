/**
 * The base linear method: F32 / BF16 / F16 weights read in place by the `matmul` kernel. Every quant
 * wrapper starts from it; a dtype it cannot read means no wrapper claimed the layer, which is an error
 * that says which method would have.
 */
import { CheckpointFormatError } from '../errors.ts';
import type { Linear, LinearLayer, LinearMethod } from './linear.ts';
import { loadLinearBias } from './linear-bias.ts';
import { checkTensor, FLOAT_DTYPES, requireTensor } from './tensor-checks.ts';

export const UNQUANTIZED_METHOD_ID = 'unquantized';

/** the method a weight dtype needs when the base method cannot read it */
function neededMethod(dtype: string): string {
  if (dtype === 'F8_E4M3') return "the core 'fp8-block' quant method (it needs a sibling '.scale' or '.weight_scale_inv' tensor)";
  if (dtype === 'I8' || dtype === 'U8') return "a 4-bit quant method such as the 'mxfp4' plugin's (MXFP4 is supported for MoE experts)";
  return 'a quant method for this dtype';
}

export const UNQUANTIZED_LINEAR: LinearMethod = {
  id: UNQUANTIZED_METHOD_ID,
  create(layer: LinearLayer): Linear {
    const name = `${layer.name}.weight`;
    const w = requireTensor(layer.store, name, layer.source, { what: 'linear weight' });
    if (!FLOAT_DTYPES.has(w.dtype)) {
      throw new CheckpointFormatError(layer.source, `weight dtype ${w.dtype} cannot be read by the unquantized linear method (F32, BF16, F16); it needs ${neededMethod(w.dtype)}`, name);
    }
    if (w.shape.length !== 2) throw new CheckpointFormatError(layer.source, `linear weight must be 2-D [out, in], got [${w.shape.join(', ')}]`, name);
    checkTensor(w, name, layer.source, { what: 'linear weight', ...(layer.shape ? { shape: layer.shape } : {}) });
    const [outFeatures, inFeatures] = w.shape as [number, number];
    const bias = loadLinearBias(layer, outFeatures);
    const ops = layer.ops;
    return {
      name: layer.name,
      method: UNQUANTIZED_METHOD_ID,
      outFeatures,
      inFeatures,
      weightBytes: w.byteLength + (bias ? bias.byteLength : 0),
      forward(out, x, M) {
        if (bias) ops.matmul({ out, x, w, M, bias });
        else ops.matmul({ out, x, w, M });
      },
    };
  },
};
