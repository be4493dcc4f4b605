import { type DestinationStream, type Logger, pino } from 'pino';
import pinoPretty from 'pino-pretty';

export type { Logger };

/** SLUICE_LOG_FORMAT: `json` lines for machines (the default), `pretty` for people at a terminal. */
export type LogFormat = 'json' | 'pretty';

export interface LoggerOptions {
  format?: LogFormat | undefined;
  name?: string | undefined;
  /** Where the lines go (tests); stdout by default. */
  destination?: DestinationStream | undefined;
}

/** The process logger, level from SLUICE_LOG_LEVEL and format from SLUICE_LOG_FORMAT. */
export function createLogger(level: string, options: LoggerOptions = {}): Logger {
  const settings = { name: options.name ?? 'sluice', level };
  if (options.format !== 'pretty') return options.destination ? pino(settings, options.destination) : pino(settings);
  // A synchronous stream in this thread rather than a transport worker: lines written just before
  // exit (a fatal start-up error, the last "stopped") are not lost.
  return pino(settings, pinoPretty({ sync: true, destination: options.destination ?? 1 }));
}
