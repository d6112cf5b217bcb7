/**
 * Structured logging (pino). Logs go to stderr so command output on stdout (`plexus plugins --json`)
 * stays machine-readable. The level comes from PLEXUS_LOG_LEVEL.
 */
import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerOptions {
  level?: LogLevel;
  name?: string;
  /** where to write (default: stderr, synchronously so nothing is lost on exit) */
  destination?: pino.DestinationStream;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const destination = opts.destination ?? pino.destination({ fd: 2, sync: true });
  return pino({ name: opts.name ?? 'plexus', level: opts.level ?? 'info', base: undefined }, destination);
}

/** A logger that drops everything (tests, library use without output). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
