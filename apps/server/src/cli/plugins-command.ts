/** `plexus plugins [--json]`: the plugin load report (loaded | disabled | failed with the cause). */
import { formatPluginReport } from '@plexus/core';
import type { CliCommand } from './cli-io.ts';
import { parseFlags } from './parse-flags.ts';
import { buildRuntime, RUNTIME_FLAGS, RUNTIME_USAGE } from './runtime-flags.ts';

const usage = `plexus plugins [--json] ${RUNTIME_USAGE}`;

export const pluginsCommand: CliCommand = {
  name: 'plugins',
  summary: 'list plugins and whether each loaded, is disabled (why) or failed (cause)',
  usage,
  async run(argv, io) {
    const flags = parseFlags(argv, { ...RUNTIME_FLAGS, json: { type: 'boolean', default: false } }, usage);
    const plexus = await buildRuntime(flags);
    try {
      io.out(flags.json ? JSON.stringify(plexus.pluginReport(), null, 2) : formatPluginReport(plexus.plugins()));
      return 0;
    } finally {
      plexus.dispose();
    }
  },
};
