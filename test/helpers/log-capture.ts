import { Writable } from 'node:stream';
import { createLogger, type LogFormat, type Logger } from '../../src/observability/logger.js';

/** A process logger whose lines are kept in memory instead of written to stdout. */
export function captureLogs(level = 'info', format: LogFormat = 'json'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  let partial = '';
  const destination = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      const parts = (partial + chunk.toString()).split('\n');
      partial = parts.pop() ?? '';
      lines.push(...parts);
      done();
    },
  });
  return { logger: createLogger(level, { format, destination }), lines };
}

/** The JSON records among captured lines. */
export function records(lines: readonly string[]): Array<Record<string, unknown>> {
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}
