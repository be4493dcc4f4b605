import { Command } from 'commander';
import type { JobStatus } from '../../core/job.js';
import { type ClientFlags, clientFrom, withClientOptions } from '../client-options.js';
import { JOB_HEADERS, jobRow, printJson, printTable } from '../output.js';

interface JobsFlags extends ClientFlags {
  queue?: string;
  status?: string;
  type?: string;
  limit?: string;
  cursor?: string;
  json?: boolean;
}

/** `sluice jobs`: newest jobs first, filtered. */
export function jobsCommand(): Command {
  return withClientOptions(
    new Command('jobs')
      .description('list jobs, newest first')
      .option('-q, --queue <name>', 'only this queue')
      .option('-s, --status <status>', 'only this status (scheduled, queued, running, succeeded, failed, cancelled)')
      .option('-t, --type <type>', 'only this job type')
      .option('-n, --limit <n>', 'at most this many', '20')
      .option('--cursor <cursor>', 'continue after a previous page')
      .option('--json', 'print JSON'),
  ).action(async (flags: JobsFlags) => {
    const page = await clientFrom(flags).list({
      queue: flags.queue,
      status: flags.status as JobStatus | undefined,
      type: flags.type,
      limit: Number(flags.limit),
      cursor: flags.cursor,
    });
    if (flags.json) return printJson(page);
    printTable(JOB_HEADERS, page.jobs.map(jobRow));
    if (page.nextCursor) process.stdout.write(`more: --cursor ${page.nextCursor}\n`);
  });
}
