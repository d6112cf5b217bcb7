/** `plexus env [--json]`: every declared PLEXUS_* variable with owner, type, default, current value and doc. */
import { formatEnvValue, type EnvEntry } from '@plexus/core';
import type { CliCommand } from './cli-io.ts';
import { parseFlags } from './parse-flags.ts';
import { buildRuntime, RUNTIME_FLAGS, RUNTIME_USAGE } from './runtime-flags.ts';

const usage = `plexus env [--json] ${RUNTIME_USAGE}`;

export const envCommand: CliCommand = {
  name: 'env',
  summary: 'list every PLEXUS_* variable: owner, type, default, current value, doc',
  usage,
  async run(argv, io) {
    const flags = parseFlags(argv, { ...RUNTIME_FLAGS, json: { type: 'boolean', default: false } }, usage);
    const plexus = await buildRuntime(flags);
    try {
      const entries = plexus.envSnapshot().entries();
      io.out(flags.json ? JSON.stringify(entries.map(toJson), null, 2) : formatTable(entries));
      return 0;
    } finally {
      plexus.dispose();
    }
  },
};

function toJson(e: EnvEntry) {
  return {
    name: e.spec.name, owner: e.spec.owner, type: e.spec.type, ...(e.spec.choices ? { choices: e.spec.choices } : {}),
    default: e.spec.default ?? null, value: e.value ?? null, source: e.source, ...(e.problem ? { problem: e.problem } : {}), doc: e.spec.doc,
  };
}

function formatTable(entries: EnvEntry[]): string {
  const rows = entries.map((e) => [
    e.spec.name,
    e.spec.owner,
    e.spec.type === 'enum' ? `enum(${e.spec.choices?.join('|')})` : e.spec.type,
    formatEnvValue(e.spec.default),
    `${formatEnvValue(e.value)}${e.source === 'default' ? '' : ` (${e.source})`}${e.problem ? ` [invalid '${e.raw}': ${e.problem}]` : ''}`,
  ]);
  const head = ['NAME', 'OWNER', 'TYPE', 'DEFAULT', 'CURRENT'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(head), ...rows.flatMap((r, i) => [line(r), `    ${entries[i]!.spec.doc}`])].join('\n');
}
