/** The optional `<name>.bias` of a linear layer, as the Float32Array the kernels take. */
import { CheckpointFormatError } from '../errors.ts';
import type { LinearLayer } from './linear.ts';
import { floatVector } from './tensor-checks.ts';

export function loadLinearBias(layer: LinearLayer, outFeatures: number): Float32Array | undefined {
  const name = `${layer.name}.bias`;
  if (layer.bias === false) return undefined;
  if (!layer.store.has(name)) {
    if (layer.bias === true) throw new CheckpointFormatError(layer.source, `missing bias (expected shape [${outFeatures}])`, name);
    return undefined;
  }
  return floatVector(layer.store.get(name), name, layer.source, outFeatures);
}
