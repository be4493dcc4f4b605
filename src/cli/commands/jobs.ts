import { Command } from 'commander';
import type { JobStatus } from '../../core/job.js';
import type { ListInclude } from '../../core/listed-job.js';
import { type ClientFlags, clientFrom, withClientOptions } from '../client-options.js';
import { type PagingFlags, printMoreHint, readPages } from '../job-pages.js';
import { JOB_HEADERS, jobRow, printJson, printTable } from '../output.js';

interface JobsFlags extends ClientFlags, PagingFlags {
  queue?: string;
  status?: string;
  type?: string;
  include?: string;
  json?: boolean;
}

/** `sluice jobs`: newest jobs first, filtered, a page at a time (or every page with --all). */
export function jobsCommand(): Command {
  return withClientOptions(
    new Command('jobs')
      .description('list jobs, newest first')
      .option('-q, --queue <name>', 'only this queue')
      .option('-s, --status <status>', 'only this status (scheduled, queued, running, succeeded, failed, cancelled)')
      .option('-t, --type <type>', 'only this job type')
      .option('-n, --limit <n>', 'page size (default 20; 500 with --all)')
      .option('--cursor <cursor>', 'continue after a previous page')
      .option('--all', 'every page, following the cursors')
      .option('--include <fields>', 'with --json: also input and/or output (comma separated)')
      .option('--json', 'print JSON'),
  ).action(async (flags: JobsFlags) => {
    const client = clientFrom(flags);
    const page = await readPages(flags, (limit, cursor) =>
      client.list({
        queue: flags.queue,
        status: flags.status as JobStatus | undefined,
        type: flags.type,
        limit,
        cursor,
        include: flags.include?.split(',') as ListInclude[] | undefined,
      }),
    );
    if (flags.json) return printJson(page);
    printTable(JOB_HEADERS, page.jobs.map(jobRow));
    printMoreHint('jobs', page);
  });
}
