import { createInterface } from 'node:readline/promises';
import { Command } from 'commander';
import { ValidationError } from '../../core/errors.js';
import { type ClientFlags, clientFrom, withClientOptions } from '../client-options.js';
import { type PagingFlags, printMoreHint, readPages } from '../job-pages.js';
import { JOB_HEADERS, jobRow, printJson, printTable } from '../output.js';
import { confirmRedrive, type Terminal } from '../redrive-guard.js';

interface DlqFlags extends ClientFlags, PagingFlags {
  queue?: string;
  type?: string;
  json?: boolean;
}

interface RedriveFlags extends ClientFlags {
  queue?: string;
  type?: string;
  ids?: string;
  limit?: string;
  all?: boolean;
  timeoutMs?: string;
  maxAttempts?: string;
}

/** `sluice dlq`: failed jobs (the dead-letter queue); `sluice dlq redrive`: put them back. */
export function dlqCommand(): Command {
  const dlq = withClientOptions(
    new Command('dlq')
      .description('list failed jobs (the dead-letter queue); see also: dlq redrive')
      .option('-q, --queue <name>', 'only this queue')
      .option('-t, --type <type>', 'only this job type')
      .option('-n, --limit <n>', 'page size (default 20; 500 with --all)')
      .option('--cursor <cursor>', 'continue after a previous page')
      .option('--all', 'every page, following the cursors')
      .option('--json', 'print JSON')
      // `dlq redrive --queue x --all`: the flags after `redrive` are its own, not the listing's.
      .enablePositionalOptions(),
  ).action(async (flags: DlqFlags) => {
    const client = clientFrom(flags);
    const page = await readPages(flags, (limit, cursor) =>
      client.deadLetter({ queue: flags.queue, type: flags.type, limit, cursor }),
    );
    if (flags.json) return printJson(page);
    printTable(
      [...JOB_HEADERS, 'ERROR'],
      page.jobs.map((job) => [...jobRow(job), job.error ? `${job.error.code}: ${job.error.message}`.slice(0, 80) : '']),
    );
    printMoreHint('dlq', page);
  });
  dlq.addCommand(
    withClientOptions(
      new Command('redrive')
        .description('move failed jobs back to their queue with fresh attempts')
        .option('-q, --queue <name>', 'only this queue')
        .option('-t, --type <type>', 'only this job type')
        .option('--ids <ids>', 'only these job ids, comma separated')
        .option('-n, --limit <n>', 'at most this many')
        .option('--all', 'every failed job (needed without a filter when not asked on a terminal)')
        .option('--max-attempts <n>', 'the redriven jobs get this many attempts')
        .option('--timeout-ms <ms>', 'the redriven jobs get this attempt timeout'),
    ).action(async (flags: RedriveFlags) => {
      const client = clientFrom(flags);
      const ids = flags.ids?.split(',').map((s) => s.trim());
      const failedCount = async () => (await client.queues()).queues.reduce((sum, q) => sum + q.counts.failed, 0);
      if (!(await confirmRedrive({ queue: flags.queue, type: flags.type, ids, all: flags.all }, stdinTerminal(), failedCount))) {
        process.stderr.write('nothing redriven\n');
        return;
      }
      const result = await client.redrive({
        queue: flags.queue,
        type: flags.type,
        ids,
        limit: integerFlag(flags.limit, '--limit'),
        maxAttempts: integerFlag(flags.maxAttempts, '--max-attempts'),
        timeoutMs: integerFlag(flags.timeoutMs, '--timeout-ms'),
      });
      printJson(result);
    }),
  );
  return dlq;
}

/** Questions go to stderr (stdout carries the result); answers come from stdin. */
function stdinTerminal(): Terminal {
  return {
    interactive: process.stdin.isTTY === true,
    async ask(question) {
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return await rl.question(question);
      } finally {
        rl.close();
      }
    },
  };
}

/** A whole-number flag; the server checks the range (and names the field). */
function integerFlag(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value.trim())) throw new ValidationError(`${name} must be a whole number, got "${value}"`, name);
  return Number(value);
}
