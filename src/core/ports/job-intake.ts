import type { MismatchPolicy } from '../idempotency-mismatch.js';
import type { Job } from '../job.js';
import type { NewJob } from '../new-job.js';

/** The intake role: how jobs get in (the API, the SDK, the CLI, flows later). */
export interface JobIntake {
  /** Stores jobs atomically (all or none). A job whose idempotency key (per queue) exists returns
   * the first job with `created: false`. Results are in input order. */
  enqueue(params: EnqueueParams): Promise<EnqueueResult[]>;
}

export interface EnqueueParams {
  jobs: NewJob[];
  /**
   * An adapter-specific handle on the caller's own open transaction (a pg `PoolClient` for
   * PostgreSQL): the jobs are written inside it and exist only if the caller commits.
   * Adapters that cannot do this throw a SluiceError (SLUICE_VALIDATION, field `connection`).
   */
  connection?: unknown;
  /**
   * A key that matches a job stored for a different request: `reject` throws
   * SLUICE_IDEMPOTENCY_MISMATCH and stores none of the batch; `report` (the default) stores the
   * rest and answers that job with the stored hash. See MismatchPolicy.
   */
  mismatch?: MismatchPolicy;
}

export interface EnqueueResult {
  job: Job;
  /** False when an idempotency key matched an existing job. */
  created: boolean;
  /**
   * When `created` is false: the request hash stored with the existing job (absent for a job
   * stored without one). The facade compares it with the new request's.
   */
  requestHash?: string;
}
