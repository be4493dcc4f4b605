import type { ClaimedJob, JobError } from '../job.js';

/**
 * The worker's role: lease due jobs and settle their attempts. A remote (HTTP) worker is served by
 * this role alone, which is why every claim can be scoped to one tenant.
 *
 * Attempt-scoped writes (heartbeat, complete, fail, reportProgress, release) are fenced by the
 * lease token: a write whose token is not the job's current one changes nothing and reports
 * `lease_lost` (batch calls) or throws LeaseLostError (single calls).
 */
export interface WorkerJobStore {
  /** Atomically leases up to `limit` due jobs: highest priority first, then oldest runAt.
   * Starts an attempt on each (attempts + 1). Paused queues are skipped. */
  claim(params: ClaimParams): Promise<ClaimedJob[]>;
  /** Extends leases. Reports which leases are gone (expired and reclaimed, cancelled, finished). */
  heartbeat(params: HeartbeatParams): Promise<HeartbeatResult>;
  /** Ends attempts successfully. */
  complete(params: CompleteParams): Promise<SettleOutcome[]>;
  /** Ends attempts with a failure: retry after a delay (`scheduled`), or fail (dead-letter). */
  fail(params: FailParams): Promise<SettleOutcome[]>;
  /** Gives leased jobs back without counting the attempt (graceful shutdown). */
  release(params: ReleaseParams): Promise<SettleOutcome[]>;
  /** Records progress / partial output of a running attempt. Throws LeaseLostError. */
  reportProgress(params: ProgressParams): Promise<void>;
}

/**
 * The claim-by-id role (declared by `capabilities.claimById`): leases exactly the listed jobs, those
 * of them that are claimable now (queued, or scheduled and due; queue not paused; type in `types`;
 * tenant as given), in one atomic batch. Ids that are not claimable (unknown, already running,
 * ended, not yet due) are skipped, not errors: a transport that delivers job ids (RabbitMQ, NATS)
 * uses this to turn a delivery into a fenced lease, so a duplicate or stale delivery can never
 * start a second attempt. Returns the leased jobs in claim order; an id listed twice is leased once.
 */
export interface ClaimByIdStore {
  claimIds(params: ClaimIdsParams): Promise<ClaimedJob[]>;
}

export interface ClaimParams {
  queues: string[];
  /** Only these job types (the handlers this worker has); undefined = any type. */
  types?: string[] | undefined;
  /** Only this tenant's jobs; undefined = any tenant's (a trusted, in-house worker). */
  tenant?: string | undefined;
  limit: number;
  leaseMs: number;
  workerId: string;
}

/** Parameters of `ClaimByIdStore.claimIds`. */
export interface ClaimIdsParams {
  ids: string[];
  /** Only these job types; undefined = any type. */
  types?: string[] | undefined;
  /** Only this tenant's jobs; undefined = any tenant's. */
  tenant?: string | undefined;
  leaseMs: number;
  workerId: string;
}

export interface LeaseRef {
  id: string;
  leaseToken: string;
}

export interface HeartbeatParams {
  leases: LeaseRef[];
  leaseMs: number;
}

export interface HeartbeatResult {
  /** Ids whose lease is no longer held: the worker must abort those handlers. */
  lost: string[];
}

export interface CompleteParams {
  items: Array<LeaseRef & { output: unknown }>;
}

export type FailItem = LeaseRef & ({ outcome: 'retry'; delayMs: number; error: JobError } | { outcome: 'fail'; error: JobError });

export interface FailParams {
  items: FailItem[];
}

export interface ReleaseParams {
  items: LeaseRef[];
}

/**
 * How one settlement went:
 * - `ok`: written as asked;
 * - `lease_lost`: the token was not current; nothing was written;
 * - `failed` (complete only): the attempt ended, but the store could not keep its output (over the
 *   store's size limit), so the job ended `failed` with `error`, permanently. Callers learn it here
 *   rather than from a `job:finished` listener, which would make every completion read rows back.
 */
export type SettleOutcome = { id: string; result: 'ok' | 'lease_lost' } | { id: string; result: 'failed'; error: JobError };

export interface ProgressParams extends LeaseRef {
  progress: unknown;
}
