/** `plexus kernels [--json]`: ops, their rows, overrides, and which row runs on this machine. */
import type { CliCommand } from './cli-io.ts';
import { parseFlags } from './parse-flags.ts';
import { buildRuntime, RUNTIME_FLAGS, RUNTIME_USAGE } from './runtime-flags.ts';

const usage = `plexus kernels [--json] ${RUNTIME_USAGE}`;

export const kernelsCommand: CliCommand = {
  name: 'kernels',
  summary: 'show kernel rows per op, overrides and the row chosen for this CPU',
  usage,
  async run(argv, io) {
    const flags = parseFlags(argv, { ...RUNTIME_FLAGS, json: { type: 'boolean', default: false } }, usage);
    const plexus = await buildRuntime(flags);
    try {
      const { kernels } = plexus;
      if (flags.json) {
        const ops = kernels.ops().map((op) => {
          let chosen: string | null = null;
          try {
            chosen = kernels.resolve(op).id;
          } catch {
            chosen = null;
          }
          return { op, chosen, rows: kernels.rows(op).map((r) => ({ id: r.id, owner: r.owner, override: kernels.overrideOf(r.id) })) };
        });
        io.out(JSON.stringify({ capabilities: kernels.capabilities, ops, nativeError: plexus.nativeError?.message ?? null }, null, 2));
      } else {
        io.out(kernels.describe());
        if (plexus.nativeError) io.out(`native kernels not registered: ${plexus.nativeError.message}`);
      }
      return 0;
    } finally {
      plexus.dispose();
    }
  },
};
