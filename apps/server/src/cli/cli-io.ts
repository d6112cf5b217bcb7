/** Where a command writes: stdout for results (machine-readable with --json), stderr for diagnostics. */
export interface CliIO {
  /** one result line (a newline is added when missing) */
  out(text: string): void;
  /** one diagnostic line (a newline is added when missing) */
  err(text: string): void;
  /** raw stdout, for streamed text */
  write(text: string): void;
}

export const processIO: CliIO = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  write: (text) => process.stdout.write(text),
};

/** A subcommand: parses its own argv, returns the exit code. */
export interface CliCommand {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  run(argv: string[], io: CliIO): Promise<number>;
}
