import type { EnqueueResult } from './backend.js';
import type { Job } from './job.js';

/** The result of an enqueue whose idempotency key matched `job`, with the hash stored with it. */
export function repeatOf(job: Job, requestHash: string | null | undefined): EnqueueResult {
  return requestHash === null || requestHash === undefined ? { job, created: false } : { job, created: false, requestHash };
}
