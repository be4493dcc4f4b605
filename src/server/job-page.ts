import type { ListResult } from '../core/backend.js';
import { type JobJson, toJobJson } from '../core/job-json.js';

/** A page of jobs as the API sends it: `nextCursor` only when there is a next page. */
export function toJobPage(page: ListResult): { jobs: JobJson[]; nextCursor?: string } {
  const jobs = page.jobs.map(toJobJson);
  return page.nextCursor === undefined ? { jobs } : { jobs, nextCursor: page.nextCursor };
}
