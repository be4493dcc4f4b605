import type { JobEventJson, SluiceClient } from '../client/index.js';
import { ProgressBar } from './progress-bar.js';

/**
 * Follows a job's event stream for `submit --follow`: output deltas (`job.output.delta`
 * data.chunks) go to stdout as they arrive, strings as they are and anything else as JSON; progress
 * is a bar on stderr. Returns the terminal event and whether any delta was printed.
 */
export async function followJob(client: SluiceClient, id: string): Promise<{ last: JobEventJson | undefined; printed: boolean }> {
  const bar = new ProgressBar();
  let last: JobEventJson | undefined;
  let printed = false;
  for await (const event of client.events(id)) {
    last = event;
    if (event.type === 'job.progress') bar.update((event.data as { progress?: unknown } | undefined)?.progress);
    else if (event.type === 'job.output.delta') {
      bar.done();
      for (const chunk of (event.data as { chunks?: unknown[] } | undefined)?.chunks ?? []) {
        process.stdout.write(typeof chunk === 'string' ? chunk : JSON.stringify(chunk));
        printed = true;
      }
    } else if (event.type === 'job.retrying') {
      bar.done();
      const error = (event.data as { error?: { message?: string } } | undefined)?.error;
      process.stderr.write(`attempt ${event.attempt ?? '?'} failed (${error?.message ?? 'error'}); retrying\n`);
    }
  }
  bar.done();
  if (printed) process.stdout.write('\n');
  return { last, printed };
}
