import type { JobPage } from '../client/types.js';

/** Page size of `--all`: summaries are small, so few requests cover a large list. */
export const ALL_PAGE_SIZE = 500;

export interface PagingFlags {
  limit?: string;
  cursor?: string;
  all?: boolean;
}

/**
 * One page from `--cursor` (or the first), or with `all` every page after it, following the cursors.
 * `fetchPage` asks the server for one page of `limit` jobs after `cursor`.
 */
export async function readPages(
  flags: PagingFlags,
  fetchPage: (limit: number, cursor: string | undefined) => Promise<JobPage>,
): Promise<JobPage> {
  const limit = flags.limit === undefined ? (flags.all ? ALL_PAGE_SIZE : 20) : Number(flags.limit);
  const first = await fetchPage(limit, flags.cursor);
  if (!flags.all) return first;
  const jobs = [...first.jobs];
  let cursor = first.nextCursor;
  while (cursor !== undefined) {
    const page = await fetchPage(limit, cursor);
    jobs.push(...page.jobs);
    cursor = page.nextCursor;
  }
  return { jobs };
}

/** What to run for the next page, on stderr (stdout stays the table). */
export function printMoreHint(command: string, page: JobPage): void {
  if (page.nextCursor === undefined) return;
  process.stderr.write(
    `${page.jobs.length} shown, more remain: sluice ${command} --cursor ${page.nextCursor} (or --all for every page)\n`,
  );
}
