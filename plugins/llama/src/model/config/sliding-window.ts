/**
 * Which layers use sliding-window attention, following transformers:
 *  - Mistral: every layer uses `sliding_window` when it is set (null = full attention);
 *  - Qwen2/Qwen3: the window exists only with `use_sliding_window`; a layer uses it when `layer_types[i]`
 *    is "sliding_attention", or, without layer_types, when i >= `max_window_layers`;
 *  - Llama: never.
 */
import type { ConfigReader } from '@plexus/core';

const LAYER_TYPES = new Set(['full_attention', 'sliding_attention']);

export function parseSlidingWindows(cfg: ConfigReader, architecture: string, numLayers: number): number[] {
  const none = new Array<number>(numLayers).fill(0);
  if (architecture === 'MistralForCausalLM') {
    const window = cfg.optionalInt('sliding_window');
    return window === undefined ? none : none.fill(window);
  }
  if (architecture !== 'Qwen2ForCausalLM' && architecture !== 'Qwen3ForCausalLM') return none;

  const layerTypes = cfg.stringArray('layer_types');
  if (layerTypes) {
    if (layerTypes.length !== numLayers) cfg.fail('layer_types', `has ${layerTypes.length} entries for ${numLayers} layers`);
    const bad = layerTypes.find((t) => !LAYER_TYPES.has(t));
    if (bad !== undefined) cfg.fail('layer_types', `contains "${bad}" (expected full_attention or sliding_attention)`);
  }
  if (!cfg.bool('use_sliding_window', false)) return none;
  const window = cfg.optionalInt('sliding_window');
  if (window === undefined) return none;
  const maxWindowLayers = cfg.int('max_window_layers', { min: 0, default: 28 });
  return none.map((_, i) => {
    const sliding = layerTypes ? layerTypes[i] === 'sliding_attention' : i >= maxWindowLayers;
    return sliding ? window : 0;
  });
}
