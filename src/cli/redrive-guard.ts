import { ValidationError } from '../core/errors.js';

export interface RedriveScope {
  queue?: string | undefined;
  type?: string | undefined;
  ids?: string[] | undefined;
  all?: boolean | undefined;
}

export interface Terminal {
  /** True when a person can answer (stdin is a terminal). */
  interactive: boolean;
  /** Asks a yes/no question; resolves with the answer line. */
  ask(question: string): Promise<string>;
}

/**
 * A redrive without a filter moves every failed job: on a terminal it asks first, elsewhere (a
 * script, a pipe) it runs only with `--all`, so a forgotten filter cannot rerun a whole DLQ.
 * Resolves true to go ahead, false when the person said no; throws without a terminal or `--all`.
 */
export async function confirmRedrive(
  scope: RedriveScope,
  terminal: Terminal,
  failedCount: () => Promise<number>,
): Promise<boolean> {
  if (scope.all || scope.queue !== undefined || scope.type !== undefined || scope.ids !== undefined) return true;
  if (!terminal.interactive) {
    throw new ValidationError('no filter given: pass --all to redrive every failed job (or --queue, --type, --ids)', '--all');
  }
  const count = await failedCount();
  const answer = await terminal.ask(`Redrive all ${count} failed job${count === 1 ? '' : 's'}? [y/N] `);
  return /^y(es)?$/i.test(answer.trim());
}
