import type { EnqueueResult } from './core/backend.js';
import { ErrorCodes, hasErrorCode } from './core/errors.js';
import type { NewJob } from './core/new-job.js';

interface Pending {
  job: NewJob;
  resolve: (result: EnqueueResult) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for single-job enqueues. The first call is written at once; calls that arrive while
 * a write is in flight wait and go together in the next write (one statement, one commit, one
 * wake-up message), in arrival order, at most `maxBatch` at a time. A lone caller pays nothing; many
 * concurrent callers (an HTTP API under load) share commits instead of queueing for them one by one.
 *
 * A synchronous store (SQLite) has no write in flight to gather behind: its commit is over before
 * the next request's socket is even read. For such a store (`synchronousWrites`), a call that
 * arrives in the same turn of the event loop as a write that already started waits for the end of
 * that turn (`setImmediate`, after every socket that was readable has been read), and the calls
 * gathered by then share one write. Requests read together from ten connections then cost two
 * commits instead of ten. A store whose writes take a round trip never meets this case (its write is
 * still in flight when the turn ends), so it is not charged the end-of-turn callback per write: that
 * extra turn of the event loop cost a one-by-one Redis enqueue several µs of CPU.
 *
 * Each caller still learns only its own result, after its job is durable. Jobs are validated and
 * serialised before they get here, so a shared write should fail only for reasons that touch every
 * job alike; if one fails anyway, its jobs are written again in halves (nothing of a failed write
 * was stored), down to one job, so that only the job at fault fails and its neighbours, other
 * callers and other tenants, are stored. An outage or a shutdown is not retried: it would fail each
 * half again. Idempotency keys across callers in one write behave
 * as they do in a bulk call (the first occurrence creates, a repeat gets that job), except that a
 * key used before for a different request is reported per job (the backend's `mismatch: 'report'`),
 * so that the facade refuses only that caller. The facade keeps
 * one coalescer per queue: a write then spans one queue, which every backend stores all-or-none
 * (a multi-queue batch on Redis Cluster is atomic per queue only, and could fail one caller's write
 * after storing another's).
 */
export class EnqueueCoalescer {
  private pending: Pending[] = [];
  private writing = false;
  /** A write started in the current turn of the event loop (cleared by setImmediate). */
  private turnBusy = false;

  /**
   * `onIdle`: called when the last write is done and nothing waits (the owner may drop this).
   * `synchronousWrites`: the store's writes settle within the turn they start in (see above).
   */
  constructor(
    private readonly write: (jobs: NewJob[]) => Promise<EnqueueResult[]>,
    private readonly maxBatch: number,
    private readonly onIdle: () => void = () => {},
    private readonly synchronousWrites = false,
  ) {}

  enqueue(job: NewJob): Promise<EnqueueResult> {
    if (this.writing || this.turnBusy) return new Promise((resolve, reject) => this.pending.push({ job, resolve, reject }));
    // Nothing in flight: this job is written by itself at once, with no bookkeeping of its own.
    const written = this.start([job]);
    return written.then((results) => results[0] ?? Promise.reject(missingResult(job)));
  }

  /** Starts a write; when it settles (and its turn of the event loop is over), waiting jobs go next. */
  private start(jobs: NewJob[]): Promise<EnqueueResult[]> {
    this.writing = true;
    if (this.synchronousWrites && !this.turnBusy) {
      this.turnBusy = true;
      setImmediate(this.endTurn);
    }
    let written: Promise<EnqueueResult[]>;
    try {
      written = this.write(jobs);
    } catch (error) {
      written = Promise.reject(error);
    }
    const next = () => {
      this.writing = false;
      this.flush();
    };
    written.then(next, next);
    return written;
  }

  private readonly endTurn = (): void => {
    this.turnBusy = false;
    this.flush();
  };

  /** Writes what waits, unless a write is in flight or this turn already wrote (then it comes back). */
  private flush(): void {
    if (this.writing || this.turnBusy) return;
    const batch = this.pending.splice(0, this.maxBatch);
    if (batch.length === 0) {
      this.onIdle();
      return;
    }
    this.start(batch.map((pending) => pending.job)).then(
      (results) => settle(batch, results),
      (error: unknown) => this.writeApart(batch, error),
    );
  }

  /** After `batch` failed together: each half is written on its own, until the fault is one job's. */
  private writeApart(batch: Pending[], error: unknown): void {
    if (batch.length === 1 || !isWorthSplitting(error)) {
      for (const pending of batch) pending.reject(error);
      return;
    }
    const middle = Math.ceil(batch.length / 2);
    for (const half of [batch.slice(0, middle), batch.slice(middle)]) {
      let written: Promise<EnqueueResult[]>;
      try {
        written = this.write(half.map((pending) => pending.job));
      } catch (thrown) {
        written = Promise.reject(thrown);
      }
      written.then(
        (results) => settle(half, results),
        (halfError: unknown) => this.writeApart(half, halfError),
      );
    }
  }
}

function settle(batch: Pending[], results: EnqueueResult[]): void {
  batch.forEach((pending, i) => {
    const result = results[i];
    if (result) pending.resolve(result);
    else pending.reject(missingResult(pending.job));
  });
}

/** An error that every write would meet now (an outage, a shutdown) is not one job's fault. */
function isWorthSplitting(error: unknown): boolean {
  return !hasErrorCode(error, ErrorCodes.backendUnavailable) && !hasErrorCode(error, ErrorCodes.shuttingDown);
}

function missingResult(job: NewJob): Error {
  return new Error(`the backend returned no result for job ${job.id}`);
}
