import { type Logger, pino } from 'pino';

export type { Logger };

/** The process logger: JSON lines on stdout, level from SLUICE_LOG_LEVEL. */
export function createLogger(level: string, name = 'sluice'): Logger {
  return pino({ name, level });
}
