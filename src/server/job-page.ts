import type { ListResult } from '../core/backend.js';
import { type ListedJobJson, toListedJobJson } from '../core/listed-job-json.js';

/** A page of jobs as the API sends it: `nextCursor` only when there is a next page. */
export function toJobPage(page: ListResult): { jobs: ListedJobJson[]; nextCursor?: string } {
  const jobs = page.jobs.map(toListedJobJson);
  return page.nextCursor === undefined ? { jobs } : { jobs, nextCursor: page.nextCursor };
}
