import { Command } from 'commander';
import ora from 'ora';
import type { SluiceClient } from '../../client/index.js';
import type { JobJson } from '../../core/job-json.js';
import type { JobSpec } from '../../core/job-spec.js';
import { type ClientFlags, clientFrom, withClientOptions } from '../client-options.js';
import { followJob } from '../follow-job.js';
import { printJson } from '../output.js';
import { parseJsonArg } from '../parse-json-arg.js';

interface SubmitFlags extends ClientFlags {
  queue?: string;
  priority?: string;
  delay?: string;
  maxAttempts?: string;
  timeout?: string;
  idempotencyKey?: string;
  wait?: boolean;
  follow?: boolean;
  waitTimeout?: string;
}

/** `sluice submit TYPE JSON [--wait]`: enqueue through the API; with --wait, show progress and the output. */
export function submitCommand(): Command {
  return withClientOptions(
    new Command('submit')
      .description('submit a job (JSON input inline, @file.json, or - for stdin)')
      .argument('<type>', 'job type, e.g. math')
      .argument('[input]', 'job input as JSON', '{}')
      .option('-q, --queue <name>', 'queue (default "default")')
      .option('-p, --priority <n>', 'priority, higher runs first (-1000..1000)')
      .option('-d, --delay <ms>', 'run no earlier than this many ms from now')
      .option('--max-attempts <n>', 'attempts before the job fails')
      .option('--timeout <ms>', 'abort an attempt after this many ms')
      .option('-k, --idempotency-key <key>', 'a repeat with the same key returns the first job')
      .option('-w, --wait', 'wait for the job to finish, showing progress, and print its output')
      .option('-f, --follow', 'stream the job: print output deltas as they arrive, a progress bar, then the end')
      .option('--wait-timeout <ms>', 'give up waiting after this many ms', '600000'),
  ).action(async (type: string, inputText: string, flags: SubmitFlags) => {
    const client = clientFrom(flags);
    const spec: JobSpec = { type, input: parseJsonArg(inputText, 'input') };
    if (flags.queue !== undefined) spec.queue = flags.queue;
    if (flags.priority !== undefined) spec.priority = Number(flags.priority);
    if (flags.delay !== undefined) spec.delayMs = Number(flags.delay);
    if (flags.maxAttempts !== undefined) spec.maxAttempts = Number(flags.maxAttempts);
    if (flags.timeout !== undefined) spec.timeoutMs = Number(flags.timeout);
    const job = await client.enqueue(spec, flags.idempotencyKey ? { idempotencyKey: flags.idempotencyKey } : {});
    if (flags.follow) return follow(client, job);
    if (!flags.wait) return printJson(job);

    const spinner = ora({ text: describe(job), stream: process.stderr }).start();
    const deadline = Date.now() + Number(flags.waitTimeout);
    let current: JobJson = job;
    while (!isDone(current) && Date.now() < deadline) {
      // Long-poll one second at a time so that progress shows while we wait.
      current = await client.get(job.id, { waitSeconds: 1 });
      spinner.text = describe(current);
    }
    if (current.status === 'succeeded') spinner.succeed(describe(current));
    else if (isDone(current)) spinner.fail(describe(current));
    else spinner.warn(`${describe(current)} (still not finished; check later with: sluice status ${job.id})`);
    printJson(current.status === 'succeeded' ? current.output : current);
    if (current.status !== 'succeeded') process.exitCode = 1;
  });
}

/** `--follow`: the deltas as they come, then the output itself when the job streamed none. */
async function follow(client: SluiceClient, job: JobJson): Promise<void> {
  process.stderr.write(`${job.type} ${job.id} ${job.status}\n`);
  const { last, printed } = await followJob(client, job.id);
  const ended = await client.get(job.id);
  process.stderr.write(`${describe(ended)}${last === undefined ? '' : ` (${last.type})`}\n`);
  if (ended.status === 'succeeded' && !printed) printJson(ended.output);
  else if (ended.status !== 'succeeded') printJson(ended.error ?? ended);
  if (ended.status !== 'succeeded') process.exitCode = 1;
}

function isDone(job: JobJson): boolean {
  return job.status === 'succeeded' || job.status === 'failed' || job.status === 'cancelled';
}

function describe(job: JobJson): string {
  const progress = formatProgress(job.progress);
  return `${job.type} ${job.id} ${job.status}${progress ? ` ${progress}` : ''}${job.attempts > 1 ? ` (attempt ${job.attempts}/${job.maxAttempts})` : ''}`;
}

function formatProgress(progress: unknown): string {
  if (typeof progress === 'number') return `${Math.round(progress)}%`;
  if (progress && typeof progress === 'object') {
    const { percent, message } = progress as { percent?: unknown; message?: unknown };
    return [typeof percent === 'number' ? `${Math.round(percent)}%` : '', typeof message === 'string' ? message : '']
      .filter(Boolean)
      .join(' ');
  }
  return '';
}
