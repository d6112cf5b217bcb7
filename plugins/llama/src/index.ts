/** The llama plugin: registers the dense decoder for its architectures. Everything goes through ctx. */
import type { PluginContext } from '@plexus/core';
import { LLAMA_ARCHITECTURES } from './manifest.ts';
import { createDenseModel } from './model/index.ts';

export function register(ctx: PluginContext): void {
  ctx.models.register({
    architectures: LLAMA_ARCHITECTURES,
    load: (checkpoint, { ops }) => createDenseModel(checkpoint, ops),
  });
}
