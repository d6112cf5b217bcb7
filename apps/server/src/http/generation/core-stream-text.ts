/**
 * Core's `streamText` (incremental detokenization + stop strings over an EngineClient), loaded on first use:
 * the HTTP app starts (health, plugins, models) even where the engine module is not present.
 */
import { PlexusError } from '@plexus/core';
import type { StreamText } from '../types.ts';

// kept in variables so the type checker does not require the modules to exist
const CANDIDATES = ['@plexus/core', '@plexus/core/internal'];

let cached: Promise<StreamText> | undefined;

export function loadCoreStreamText(): Promise<StreamText> {
  cached ??= find().catch((err) => {
    cached = undefined;
    throw err;
  });
  return cached;
}

async function find(): Promise<StreamText> {
  const failures: string[] = [];
  for (const specifier of CANDIDATES) {
    try {
      const mod = (await import(specifier)) as { streamText?: unknown };
      if (typeof mod.streamText === 'function') return mod.streamText as StreamText;
      failures.push(`${specifier}: no streamText export`);
    } catch (err) {
      failures.push(`${specifier}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  throw new PlexusError(`core's streamText is not available (${failures.join('; ')}); pass AppDeps.streamText.`);
}
