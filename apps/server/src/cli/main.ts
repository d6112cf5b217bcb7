/** The `plexus` command line: dispatches to a subcommand; typed errors print their message, exit code 2 for bad input. */
import { InvalidArgumentError, PlexusError } from '@plexus/core';
import type { CliCommand, CliIO } from './cli-io.ts';
import { benchCommand } from './bench-command.ts';
import { envCommand } from './env-command.ts';
import { generateCommand } from './generate-command.ts';
import { kernelsCommand } from './kernels-command.ts';
import { pluginsCommand } from './plugins-command.ts';
import { serveCommand } from './serve-command.ts';

export const COMMANDS: readonly CliCommand[] = [serveCommand, generateCommand, pluginsCommand, envCommand, kernelsCommand, benchCommand];

export function helpText(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return ['usage: plexus <command> [options]', '', 'commands:', ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`), '',
    'run `plexus <command> --help` for its options'].join('\n');
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(helpText());
    return name ? 0 : 2;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.err(`unknown command '${name}'\n\n${helpText()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(`usage: ${command.usage}`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (e instanceof InvalidArgumentError) {
      io.err(`plexus ${name}: ${e.message}`);
      return 2;
    }
    if (e instanceof PlexusError) {
      io.err(`plexus ${name}: ${e.name}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}
