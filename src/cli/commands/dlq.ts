import { Command } from 'commander';
import { type ClientFlags, clientFrom, withClientOptions } from '../client-options.js';
import { JOB_HEADERS, jobRow, printJson, printTable } from '../output.js';

interface DlqFlags extends ClientFlags {
  queue?: string;
  type?: string;
  limit?: string;
  json?: boolean;
}

/** `sluice dlq`: failed jobs (the dead-letter queue); `sluice dlq redrive`: put them back. */
export function dlqCommand(): Command {
  const dlq = withClientOptions(
    new Command('dlq')
      .description('list failed jobs (the dead-letter queue); see also: dlq redrive')
      .option('-q, --queue <name>', 'only this queue')
      .option('-t, --type <type>', 'only this job type')
      .option('-n, --limit <n>', 'at most this many', '20')
      .option('--json', 'print JSON'),
  ).action(async (flags: DlqFlags) => {
    const page = await clientFrom(flags).deadLetter({ queue: flags.queue, type: flags.type, limit: Number(flags.limit) });
    if (flags.json) return printJson(page);
    printTable(
      [...JOB_HEADERS, 'ERROR'],
      page.jobs.map((job) => [...jobRow(job), job.error ? `${job.error.code}: ${job.error.message}`.slice(0, 80) : '']),
    );
  });
  dlq.addCommand(
    withClientOptions(
      new Command('redrive')
        .description('move failed jobs back to their queue with fresh attempts')
        .option('-q, --queue <name>', 'only this queue')
        .option('-t, --type <type>', 'only this job type')
        .option('--ids <ids>', 'only these job ids, comma separated')
        .option('-n, --limit <n>', 'at most this many'),
    ).action(async (flags: ClientFlags & { queue?: string; type?: string; ids?: string; limit?: string }) => {
      const result = await clientFrom(flags).redrive({
        queue: flags.queue,
        type: flags.type,
        ids: flags.ids?.split(',').map((s) => s.trim()),
        limit: flags.limit === undefined ? undefined : Number(flags.limit),
      });
      printJson(result);
    }),
  );
  return dlq;
}
