/**
 * The error for experts whose storage no registered quant method reads. It names the method the tensors
 * call for (today: 'mxfp4') and, through the plugin loader's provider lookup, the plugin that provides it
 * and why that plugin is not there (disabled, failed with its cause, not installed).
 */
import { QuantMethodUnavailableError } from '../errors.ts';
import { explainProvider, type ProviderLookup } from '../kernel/registries/provider-lookup.ts';
import type { MoeLayerInfo } from './experts-method.ts';

export const MXFP4_METHOD_ID = 'mxfp4';

/**
 * Why the experts' tensors look like MXFP4, or undefined. Only the tensors count (headers, never data):
 * a config that says expert_dtype "fp4" over float tensors (a dequantized export) is served by the float path.
 */
export function mxfp4Evidence(layer: MoeLayerInfo): string | undefined {
  const { store } = layer;
  if (layer.naming.layout === 'stacked') {
    const blocks = layer.tensorName('gateUp', undefined, 'blocks');
    if (store.has(blocks)) return `'${blocks}' and its '_scales'`;
  } else {
    const w = layer.tensorName('gate', 0, 'weight');
    if (store.has(w) && (store.get(w).dtype === 'I8' || store.get(w).dtype === 'U8')) return `'${w}' is ${store.get(w).dtype} (two E2M1 codes per byte) with E8M0 '.scale'`;
  }
  return undefined;
}

export function missingExpertMethodError(layer: MoeLayerInfo, evidence: string, registered: readonly string[], providers?: ProviderLookup): QuantMethodUnavailableError {
  const provider = providers?.('quantMethods', MXFP4_METHOD_ID);
  let why: string;
  if (registered.includes(MXFP4_METHOD_ID)) {
    why = `quant method '${MXFP4_METHOD_ID}' is registered but declined this layer (its tensors are in a layout it does not read)`;
  } else if (providers) {
    why = explainProvider('quantMethods', MXFP4_METHOD_ID, provider);
  } else {
    why = `quant method '${MXFP4_METHOD_ID}' (plugin 'mxfp4') is not registered; check \`plexus plugins\` for its status`;
  }
  return new QuantMethodUnavailableError(layer.name, MXFP4_METHOD_ID,
    `MoE layer ${layer.name}: the routed experts are MXFP4 (${evidence}) and no registered quant method reads them; ${why}`,
    provider?.cause !== undefined ? { cause: provider.cause } : undefined);
}
