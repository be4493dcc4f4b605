import type Database from 'better-sqlite3';
import type {
  AppendOutputParams,
  Backend,
  BackendCapabilities,
  ClaimIdsParams,
  ClaimParams,
  CompleteParams,
  EnqueueParams,
  EnqueueResult,
  FailParams,
  FeedPage,
  FeedParams,
  HeartbeatParams,
  HeartbeatResult,
  JobEvent,
  JobEventsParams,
  ListParams,
  ListRecordsParams,
  ListResult,
  ProgressParams,
  PurgeParams,
  PutRecordParams,
  ReclaimResult,
  RecordKey,
  RedriveParams,
  ReleaseParams,
  SettleOutcome,
  StoredOutput,
  StoredRecord,
  UpdateRateBudgetParams,
} from '../../core/backend.js';
import { type Clock, systemClock } from '../../core/clock.js';
import { CommitEvents } from '../../core/commit-events.js';
import { repeatOf } from '../../core/enqueue-repeat.js';
import { ConflictError, LeaseLostError, NotFoundError, ValidationError } from '../../core/errors.js';
import { SluiceEvents } from '../../core/events.js';
import { rejectMismatches } from '../../core/idempotency-mismatch.js';
import { type ClaimedJob, compareClaimOrder, type Job, type QueueStats } from '../../core/job.js';
import { JobEventDrafts } from '../../core/job-events.js';
import { assembleQueueStats, type StatusCountRow } from '../../core/queue-stats.js';
import { applyRateBudget, type RateBudgetResult, type RateBudgetState } from '../../core/rate-budget.js';
import { LEASE_EXPIRED_ERROR, LEASE_EXPIRED_ERROR_JSON } from '../../core/reclaim-policy.js';
import {
  type RecordUsageParams,
  type UsageEntry,
  type UsageGroup,
  type UsageParams,
  type UsageTotals,
  usageTotalsFromGroups,
} from '../../core/usage.js';
import { effectiveStatus, type ListedRow, rowToListedJob } from '../sql/job-row.js';

import { openConnection, type SqliteSynchronous } from './connection.js';
import { SqliteEventLog, succeededDataJson } from './event-log.js';
import { SqliteRecords } from './records.js';
import {
  type ClaimedRow,
  type ClaimStamp,
  type CompletedRow,
  type EventJobRow,
  insertedJob,
  type JobRow,
  rowToClaimedJob,
  rowToJob,
  toInsertArgs,
  toNullableJsonText,
} from './row-mapping.js';
import * as admin from './sql/admin.js';
import { NO_LIMIT } from './sql/common.js';
import * as ledger from './sql/ledger.js';
import {
  type ClaimCandidate,
  type ClaimOneParams,
  type ClaimShape,
  claimOneSql,
  claimShapeKey,
  prepareStatements,
  type Statements,
} from './statements.js';
import { closedError, translateError } from './translate-error.js';

export type { SqliteSynchronous } from './connection.js';

/** Options of the SQLite adapter. */
export interface SqliteBackendOptions {
  /** Database file (its directory is created when missing), or `:memory:` (one connection only). */
  path: string;
  /** Time source for runAt, leases and retention. Default: the system clock. */
  clock?: Clock | undefined;
  /** Commit durability, see SqliteSynchronous. Default `normal`. */
  synchronous?: SqliteSynchronous | undefined;
  /** How long a write waits for another process's write lock before failing. Default 5000. */
  busyTimeoutMs?: number | undefined;
}

/** The settings a connection ended up with (pragmas as SQLite reports them). */
export interface SqliteSettings {
  journalMode: string;
  synchronous: SqliteSynchronous | 'extra';
  busyTimeoutMs: number;
  schemaVersion: number;
  /** WAL pages between automatic checkpoints. */
  walAutocheckpoint: number;
}

const SYNCHRONOUS_NAMES: Record<number, SqliteSettings['synchronous']> = { 0: 'off', 1: 'normal', 2: 'full', 3: 'extra' };

/** Claim statements kept prepared (one per type filter and limit asked for). */
const CLAIM_STATEMENTS_MAX = 512;

/**
 * The Backend port on better-sqlite3 (WAL mode).
 *
 * Every operation is one transaction on one connection; writes start with BEGIN IMMEDIATE so that
 * several processes on the same file queue up for the write lock (busy_timeout) instead of
 * deadlocking on a read-to-write upgrade, and so that two connections never lease the same job.
 * Events are emitted after the commit. better-sqlite3 is synchronous: each method does its work on
 * the calling thread and returns a settled promise, which is the fastest way to drive SQLite.
 *
 * One writer process per file is fastest. A second process on the same file is safe but adds no
 * throughput: writes take turns on one lock (measured: about 9k jobs/s claimed and completed one at a
 * time, 40k/s in batches of 50, whether 1, 2 or 4 processes share the file), and with one-job batches
 * the busy handler's backoff can leave one process with most of the work.
 */
export class SqliteBackend implements Backend {
  readonly name = 'sqlite';
  readonly capabilities: BackendCapabilities = {
    crossProcessEvents: false,
    multiMachine: false,
    claimById: true,
    tenantClaims: true,
    rateBudgets: true,
    usage: true,
    synchronousWrites: true,
    outputText: true,
    eventLog: true,
    records: true,
  };
  readonly events = new SluiceEvents();

  private readonly db: Database.Database;
  private readonly stmts: Statements;
  private readonly log: SqliteEventLog;
  private readonly records: SqliteRecords;
  private readonly clock: Clock;
  /** One-queue claim statements by type filter and limit (see claimOneStatement). */
  private readonly claimStatements = new Map<string, Database.Statement<[ClaimOneParams], ClaimedRow>>();
  /** Statements whose SQL depends on which filters are given, prepared on first use. */
  private readonly dynamic = new Map<string, Database.Statement>();
  /** One transaction wrapper for every operation: it runs the function it is given. */
  private readonly transaction: Database.Transaction<<T>(fn: () => T) => T>;
  private closed = false;

  private constructor(db: Database.Database, clock: Clock) {
    this.db = db;
    this.clock = clock;
    this.stmts = prepareStatements(db);
    this.log = new SqliteEventLog(db);
    this.records = new SqliteRecords(db, clock, {
      write: <T>(fn: () => T): T => this.write(fn),
      guard: <T>(fn: () => T): T => this.guard(fn),
    });
    this.transaction = db.transaction(<T>(fn: () => T): T => fn());
  }

  /** Opens (creating and migrating when needed) the database at `options.path`. */
  static async open(options: SqliteBackendOptions): Promise<SqliteBackend> {
    try {
      const db = openConnection({
        path: options.path,
        synchronous: options.synchronous ?? 'normal',
        busyTimeoutMs: options.busyTimeoutMs ?? 5000,
      });
      return new SqliteBackend(db, options.clock ?? systemClock);
    } catch (error) {
      throw translateError(error);
    }
  }

  async enqueue({ jobs, connection, mismatch }: EnqueueParams): Promise<EnqueueResult[]> {
    if (connection !== undefined) {
      throw new ValidationError('the SQLite backend cannot enqueue inside a caller transaction (use PostgreSQL)', 'connection');
    }
    const created = new Map<string, number>();
    const events = new CommitEvents();
    const appended = this.appendedTo(events);
    const results = this.write(() => {
      const now = this.clock.now();
      const results: EnqueueResult[] = [];
      for (const newJob of jobs) {
        if (newJob.idempotencyKey !== undefined) {
          // Also finds a job inserted earlier in this same batch.
          const existing = this.stmts.byIdempotencyKey.get({
            queue: newJob.queue,
            tenant: newJob.tenant ?? '',
            key: newJob.idempotencyKey,
          });
          if (existing) {
            results.push(repeatOf(rowToJob(existing, now), existing.request_hash));
            continue;
          }
        }
        const args = toInsertArgs(newJob, now);
        const [, , , status, , , , , , , , tenant, , runAt] = args;
        const drafts = JobEventDrafts.created({ type: newJob.type, status, runAt, priority: newJob.priority });
        this.stmts.insert.run(...args, drafts.length);
        this.log.append({ id: newJob.id, queue: newJob.queue, tenant }, drafts.length, now, drafts, appended);
        results.push({ job: insertedJob(newJob, args), created: true });
        created.set(newJob.queue, (created.get(newJob.queue) ?? 0) + 1);
      }
      // Thrown inside the transaction: it rolls back, so none of the batch is stored.
      if (mismatch === 'reject') rejectMismatches(jobs, results);
      return results;
    });
    for (const [queue, count] of created) events.enqueued(queue, count);
    events.emitTo(this.events);
    return results;
  }

  async claim(params: ClaimParams): Promise<ClaimedJob[]> {
    if (params.limit <= 0 || params.queues.length === 0) return [];
    if (params.types !== undefined && params.types.length === 0) return [];
    return this.lease(params, (stamp) => this.claimInTransaction(params, stamp));
  }

  async claimIds(params: ClaimIdsParams): Promise<ClaimedJob[]> {
    if (params.ids.length === 0) return [];
    if (params.types !== undefined && params.types.length === 0) return [];
    const ids = JSON.stringify(params.ids);
    const types = params.types === undefined ? null : JSON.stringify(params.types);
    const tenant = params.tenant ?? null;
    return this.lease(params, (stamp) => this.stmts.claimIds.all({ ids, types, tenant, ...stamp }));
  }

  /**
   * Runs a claim statement in one IMMEDIATE transaction and maps its rows. The clock is read once
   * the write lock is held (a busy wait must not age the lease); RETURNING promises no order, so the
   * jobs are handed out sorted in claim order.
   */
  private lease(params: { leaseMs: number; workerId: string }, claimRows: (stamp: ClaimStamp) => ClaimedRow[]): ClaimedJob[] {
    const stamp: ClaimStamp = { now: 0, leaseExpiresAt: 0, workerId: params.workerId };
    const events = new CommitEvents();
    const appended = this.appendedTo(events);
    const rows = this.write(() => {
      stamp.now = this.clock.now();
      stamp.leaseExpiresAt = stamp.now + params.leaseMs;
      const rows = claimRows(stamp);
      for (const row of rows) {
        const started = JobEventDrafts.started(row[5], stamp.workerId, stamp.leaseExpiresAt);
        this.log.append({ id: row[0], queue: row[1], tenant: row[11] }, row[17], stamp.now, [started], appended);
      }
      return rows;
    });
    events.emitTo(this.events);
    return rows.map((row) => rowToClaimedJob(row, stamp)).sort(compareClaimOrder);
  }

  private claimInTransaction(params: ClaimParams, { now, leaseExpiresAt, workerId }: ClaimStamp): ClaimedRow[] {
    const paused = this.stmts.pausedQueues.all();
    const queues = [...new Set(params.queues)].filter((queue) => !paused.includes(queue));
    if (queues.length === 0) return [];
    // Only the filters a claim has are bound: each shape is its own statement (see ClaimShape).
    const filters: { types?: string; tenant?: string } = {};
    if (params.types !== undefined) filters.types = JSON.stringify(params.types);
    if (params.tenant !== undefined) filters.tenant = params.tenant;
    const shape: ClaimShape = { typed: params.types !== undefined, tenanted: params.tenant !== undefined };

    if (queues.length === 1) {
      const queue = queues[0]!;
      this.stmts.promoteOne.run({ queue, now });
      return this.claimOneStatement(shape, params.limit).all({ queue, now, leaseExpiresAt, workerId, ...filters });
    }

    this.stmts.promoteMany.run({ queues: JSON.stringify(queues), now });
    const candidates: ClaimCandidate[] = [];
    const candidatesOf = this.stmts.candidates[claimShapeKey(shape)]!;
    for (const queue of queues) candidates.push(...candidatesOf.all({ queue, now, limit: params.limit, ...filters }));
    if (candidates.length === 0) return [];
    candidates.sort((a, b) => b.priority - a.priority || a.run_at - b.run_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const rowids = JSON.stringify(candidates.slice(0, params.limit).map((c) => c.rid));
    return this.stmts.claimRowids.all({ rowids, now, leaseExpiresAt, workerId });
  }

  async heartbeat({ leases, leaseMs }: HeartbeatParams): Promise<HeartbeatResult> {
    if (leases.length === 0) return { lost: [] };
    return this.write(() => {
      const leaseExpiresAt = this.clock.now() + leaseMs;
      const lost: string[] = [];
      for (const lease of leases) {
        const { changes } = this.stmts.heartbeat.run({ id: lease.id, leaseToken: lease.leaseToken, leaseExpiresAt });
        if (changes === 0) lost.push(lease.id);
      }
      return { lost };
    });
  }

  async complete({ items }: CompleteParams): Promise<SettleOutcome[]> {
    if (items.length === 0) return [];
    // Reading the finished rows back costs a JSON parse per job; only pay it when someone listens.
    const wantJobs = this.events.listenerCount('job:finished') > 0;
    // Each output becomes JSON text once: the row and its job.succeeded event store that text, and a
    // finished job's output is parsed from it, never read back from the row: an output can be large
    // (150000! is 700 kB) and this runs on the event loop.
    const texts = items.map((item) => toNullableJsonText(item.output));
    const events = new CommitEvents();
    const appended = this.appendedTo(events);
    const logSucceeded = (row: EventJobRow, i: number, now: number) =>
      this.log.append(
        row,
        row.last_seq,
        now,
        [JobEventDrafts.succeeded(row.attempts, items[i]!.output)],
        appended,
        succeededDataJson(texts[i] ?? null),
      );
    // One statement settles a batch of several, each row fenced by its own token. A single item (the
    // usual case for long jobs) binds its text as it is rather than nested in a JSON array, which would
    // escape it and make SQLite parse it again; a batch naming a job twice (two leases of one id) goes
    // row by row too, so that each item gets its own answer.
    if (items.length > 1 && hasUniqueIds(items)) {
      const now = this.clock.now();
      const params = { items: JSON.stringify(items.map((item, i) => [item.id, item.leaseToken, texts[i]])), now };
      const indexById = new Map(items.map((item, i) => [item.id, i]));
      const finished: Job[] = [];
      const ok = new Set<string>();
      this.write(() => {
        if (wantJobs) {
          for (const row of this.stmts.completeManyReturning.all(params)) {
            const i = indexById.get(row.id)!;
            logSucceeded(row, i, now);
            finished.push(rowToJob({ ...row, output: texts[i] ?? null }));
            ok.add(row.id);
          }
        } else {
          for (const row of this.stmts.completeMany.all(params)) {
            logSucceeded(row, indexById.get(row.id)!, now);
            ok.add(row.id);
          }
        }
      });
      events.emitTo(this.events);
      for (const job of finished) this.events.emit('job:finished', { job });
      if (!wantJobs) this.events.emitEnded(ok);
      return items.map((item): SettleOutcome => ({ id: item.id, result: ok.has(item.id) ? 'ok' : 'lease_lost' }));
    }
    const { outcomes, finished } = this.write(() => {
      const now = this.clock.now();
      const outcomes: SettleOutcome[] = [];
      const finished: Job[] = [];
      items.forEach((item, i) => {
        const params = { id: item.id, leaseToken: item.leaseToken, now, output: texts[i] ?? null };
        let row: EventJobRow | undefined;
        if (wantJobs) {
          const completed: CompletedRow | undefined = this.stmts.completeReturning.get(params);
          if (completed) finished.push(rowToJob({ ...completed, output: params.output }));
          row = completed;
        } else {
          row = this.stmts.complete.get(params);
        }
        if (row) logSucceeded(row, i, now);
        outcomes.push({ id: item.id, result: row ? 'ok' : 'lease_lost' });
      });
      return { outcomes, finished };
    });
    events.emitTo(this.events);
    for (const job of finished) this.events.emit('job:finished', { job });
    if (!wantJobs) this.events.emitEnded(outcomes.filter((o) => o.result === 'ok').map((o) => o.id));
    return outcomes;
  }

  async fail({ items }: FailParams): Promise<SettleOutcome[]> {
    if (items.length === 0) return [];
    const events = new CommitEvents();
    const appended = this.appendedTo(events);
    const outcomes = this.write(() => {
      const now = this.clock.now();
      return items.map((item): SettleOutcome => {
        const base = { id: item.id, leaseToken: item.leaseToken, now, error: JSON.stringify(item.error) };
        if (item.outcome === 'retry') {
          const runAt = now + Math.max(0, item.delayMs);
          const row = this.stmts.retry.get({ ...base, runAt, status: runAt > now ? 'scheduled' : 'queued' });
          if (!row) return { id: item.id, result: 'lease_lost' };
          this.log.append(row, row.last_seq, now, [JobEventDrafts.retrying(row.attempts, item.error, runAt)], appended);
          events.requeued(item.id, row.queue);
          return { id: item.id, result: 'ok' };
        }
        const row = this.stmts.failFinal.get(base);
        if (!row) return { id: item.id, result: 'lease_lost' };
        this.log.append(row, row.last_seq, now, [JobEventDrafts.failed(row.attempts, item.error)], appended);
        events.finished(rowToJob(row));
        return { id: item.id, result: 'ok' };
      });
    });
    events.emitTo(this.events);
    return outcomes;
  }

  async release({ items }: ReleaseParams): Promise<SettleOutcome[]> {
    if (items.length === 0) return [];
    const events = new CommitEvents();
    const appended = this.appendedTo(events);
    const outcomes = this.write(() => {
      const now = this.clock.now();
      return items.map((item): SettleOutcome => {
        const row = this.stmts.release.get({ id: item.id, leaseToken: item.leaseToken, now });
        if (!row) return { id: item.id, result: 'lease_lost' };
        this.log.append(row, row.last_seq, now, [JobEventDrafts.released(row.attempts)], appended);
        events.requeued(item.id, row.queue);
        return { id: item.id, result: 'ok' };
      });
    });
    events.emitTo(this.events);
    return outcomes;
  }

  async reportProgress(params: ProgressParams): Promise<void> {
    const events = new CommitEvents();
    const row = this.write(() => {
      const now = this.clock.now();
      const progress = toNullableJsonText(params.progress);
      const row = this.stmts.progress.get({ id: params.id, leaseToken: params.leaseToken, now, progress });
      if (row) {
        const draft = JobEventDrafts.progress(row.attempts, params.progress);
        this.log.append(row, row.last_seq, now, [draft], this.appendedTo(events));
      }
      return row;
    });
    if (!row) throw new LeaseLostError(params.id);
    events.add('job:progress', { id: params.id, progress: params.progress }).emitTo(this.events);
  }

  async cancel({ id, tenant }: { id: string; tenant?: string | undefined }): Promise<Job> {
    const events = new CommitEvents();
    const { job, wasRunning } = this.write(() => {
      const current = this.stmts.byId.get(id);
      if (!current || !visibleTo(current, tenant)) throw new NotFoundError(`job ${id} not found`);
      const now = this.clock.now();
      const row = this.stmts.cancel.get({ id, now });
      if (!row) throw new ConflictError(`job ${id} already ${current.status}; only waiting or running jobs can be cancelled`);
      const cancelled = JobEventDrafts.cancelled(effectiveStatus(current, now), current.attempts);
      this.log.append(row, row.last_seq, now, [cancelled], this.appendedTo(events));
      return { job: rowToJob(row), wasRunning: current.status === 'running' };
    });
    events.cancelled(job, wasRunning).emitTo(this.events);
    return job;
  }

  async get({ id, tenant }: { id: string; tenant?: string | undefined }): Promise<Job | null> {
    const row = this.guard(() => this.stmts.byId.get(id));
    return row && visibleTo(row, tenant) ? rowToJob(row, this.clock.now()) : null;
  }

  async readOutput({ id, tenant }: { id: string; tenant?: string | undefined }): Promise<StoredOutput | null> {
    const row = this.guard(() => this.statement<admin.OutputRow>(admin.OUTPUT).get({ id }));
    if (!row || !visibleTo(row, tenant)) return null;
    const stored: StoredOutput = { status: effectiveStatus(row, this.clock.now()) };
    if (row.output !== null) stored.outputJson = row.output;
    return stored;
  }

  async list(params: ListParams): Promise<ListResult> {
    const now = this.clock.now();
    const { sql, args } = admin.listSql(params, now);
    const rows = this.guard(() => this.statement<ListedRow>(sql).all(args));
    const more = rows.length > params.limit;
    const jobs = (more ? rows.slice(0, params.limit) : rows).map((row) => rowToListedJob(row, now));
    const last = jobs[jobs.length - 1];
    return more && last ? { jobs, nextCursor: last.id } : { jobs };
  }

  async pauseQueue({ queue, paused }: { queue: string; paused: boolean }): Promise<void> {
    this.guard(() => this.stmts.setPaused.run({ queue, paused: paused ? 1 : 0, now: this.clock.now() }));
    this.events.emit('queue:paused', { queue, paused });
  }

  async redrive(params: RedriveParams): Promise<number> {
    const query = admin.redriveSql(params);
    if (query === undefined) return 0;
    const { sql, args } = query;
    const events = new CommitEvents();
    const appended = this.appendedTo(events);
    const moved = this.write(() => {
      const now = this.clock.now();
      const rows = this.statement<EventJobRow>(sql).all({ ...args, now });
      for (const row of rows) this.log.append(row, row.last_seq, now, [JobEventDrafts.redriven(now)], appended);
      return rows;
    });
    events.requeuedBatch(moved);
    events.emitTo(this.events);
    return moved.length;
  }

  async reclaimExpired(params: { limit?: number } = {}): Promise<ReclaimResult> {
    const events = new CommitEvents();
    const appended = this.appendedTo(events);
    const rows = this.write(() => {
      const now = this.clock.now();
      const rows = this.stmts.reclaim.all({ now, limit: params.limit ?? NO_LIMIT, error: LEASE_EXPIRED_ERROR_JSON });
      for (const row of rows) {
        const lost = JobEventDrafts.lost(row.attempts, LEASE_EXPIRED_ERROR, row.status as 'queued' | 'failed');
        this.log.append(row, row.last_seq, now, lost, appended);
      }
      return rows;
    });
    for (const row of rows) events.settled(row, () => rowToJob(row));
    events.emitTo(this.events);
    const requeued = rows.filter((row) => row.status === 'queued').length;
    return { requeued, failed: rows.length - requeued };
  }

  async purgeFinished(params: PurgeParams): Promise<number> {
    const now = this.clock.now();
    const { changes } = this.write(() =>
      this.stmts.purge.run({
        finishedBefore: now - params.finishedOlderThanMs,
        failedBefore: now - (params.failedOlderThanMs ?? params.finishedOlderThanMs),
        limit: params.limit ?? NO_LIMIT,
      }),
    );
    return changes;
  }

  async stats(params: { queue?: string | undefined; tenant?: string | undefined } = {}): Promise<QueueStats[]> {
    const { counts: sql, flags: flagsSql, args } = admin.statsSql(params);
    const now = this.clock.now();
    // One read transaction, so counts, lag and flags are a consistent snapshot.
    const { counts, flags } = this.guard(() =>
      this.read(() => ({
        counts: [
          ...this.statement<StatusCountRow>(sql.queued).all(args),
          ...this.statement<StatusCountRow>(sql.scheduled).all({ ...args, now }),
          ...this.statement<StatusCountRow>(sql.running).all(args),
          ...this.statement<StatusCountRow>(sql.finished).all(args),
        ],
        flags: this.statement<{ queue: string; paused: number }>(flagsSql).all(
          params.queue === undefined ? {} : { queue: params.queue },
        ),
      })),
    );
    return assembleQueueStats({
      counts,
      flags: flags.map((flag) => ({ queue: flag.queue, paused: flag.paused === 1 })),
      now,
      queue: params.queue,
    });
  }

  async jobEvents(params: JobEventsParams): Promise<JobEvent[] | null> {
    return this.guard(() => this.read(() => this.log.jobEvents(params)));
  }

  async feed(params: FeedParams): Promise<FeedPage> {
    return this.guard(() => this.read(() => this.log.feed(params)));
  }

  async appendOutput(params: AppendOutputParams): Promise<JobEvent> {
    const events = new CommitEvents();
    const event = this.write(() => {
      const now = this.clock.now();
      const row = this.stmts.appendOutput.get({ id: params.id, leaseToken: params.leaseToken, now });
      if (!row) return undefined;
      const delta = JobEventDrafts.outputDelta(row.attempts, params.chunks);
      return this.log.append(row, row.last_seq, now, [delta], events)[0];
    });
    if (!event) throw new LeaseLostError(params.id);
    events.emitTo(this.events);
    // The caller's chunks as stored (JSON), not the caller's own objects.
    return { ...event, data: JSON.parse(JSON.stringify(event.data)) };
  }

  async putRecord(params: PutRecordParams): Promise<boolean> {
    return this.records.putRecord(params);
  }

  async getRecord(params: RecordKey): Promise<unknown> {
    return this.records.getRecord(params);
  }

  async listRecords(params: ListRecordsParams): Promise<StoredRecord[]> {
    return this.records.listRecords(params);
  }

  async deleteRecord(params: RecordKey): Promise<boolean> {
    return this.records.deleteRecord(params);
  }

  async purgeExpiredRecords(params?: { limit?: number | undefined }): Promise<number> {
    return this.records.purgeExpiredRecords(params);
  }

  async ping(): Promise<void> {
    this.guard(() => this.stmts.ping.get());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.dynamic.clear();
    this.db.close();
  }

  /** The pragmas this connection runs with (for diagnostics and tests). */
  settings(): SqliteSettings {
    return this.guard(() => ({
      journalMode: String(this.db.pragma('journal_mode', { simple: true })),
      synchronous: SYNCHRONOUS_NAMES[Number(this.db.pragma('synchronous', { simple: true }))] ?? 'normal',
      busyTimeoutMs: Number(this.db.pragma('busy_timeout', { simple: true })),
      schemaVersion: Number(this.db.pragma('user_version', { simple: true })),
      walAutocheckpoint: Number(this.db.pragma('wal_autocheckpoint', { simple: true })),
    }));
  }

  /** Reads, applies (core policy) and writes one scope's budget in one IMMEDIATE transaction. */
  async updateRateBudget({ scope, action }: UpdateRateBudgetParams): Promise<RateBudgetResult> {
    return this.write(() => {
      const now = this.clock.now();
      const row = this.statement<{ state: string }>(ledger.RATE_BUDGET_STATE).get({ scope });
      const { state, result } = applyRateBudget(row ? (JSON.parse(row.state) as RateBudgetState) : undefined, action, now);
      this.statement(ledger.RATE_BUDGET_UPSERT).run({ scope, state: JSON.stringify(state), now });
      return result;
    });
  }

  /** Appends usage entries in one IMMEDIATE transaction. */
  async recordUsage({ entries }: RecordUsageParams): Promise<void> {
    if (entries.length === 0) return;
    this.write(() => {
      const insert = this.statement(ledger.USAGE_INSERT);
      const now = this.clock.now();
      for (const entry of entries) insert.run(usageRow(entry, now));
    });
  }

  /** Sums usage in SQL, grouped by (queue, tenant, provider, model); core folds the groups. */
  async usage(params: UsageParams): Promise<UsageTotals> {
    const { sql, args } = ledger.usageSql(params);
    const groups = this.guard(() => this.statement<UsageGroup>(sql).all(args));
    return usageTotalsFromGroups(groups, params);
  }

  /**
   * Where a write tells of the events it appended: `events`, or nowhere while nothing listens for
   * `events:appended` (a claim or a bulk enqueue then builds no payload per job).
   */
  private appendedTo(events: CommitEvents): CommitEvents | undefined {
    return this.events.listenerCount('events:appended') > 0 ? events : undefined;
  }

  private write<T>(fn: () => T): T {
    return this.guard(() => this.transaction.immediate(fn) as T);
  }

  /** Runs `fn` in a read (deferred) transaction: one consistent snapshot for several reads. */
  private read<T>(fn: () => T): T {
    return this.transaction(fn) as T;
  }

  private guard<T>(fn: () => T): T {
    if (this.closed) throw closedError();
    try {
      return fn();
    } catch (error) {
      throw translateError(error);
    }
  }

  /** The one-queue claim with `limit` written in (see claimOneSql), prepared once per limit. */
  private claimOneStatement(shape: ClaimShape, limit: number): Database.Statement<[ClaimOneParams], ClaimedRow> {
    const key = `${claimShapeKey(shape)}${limit}`;
    let statement = this.claimStatements.get(key);
    if (!statement) {
      // A worker asks for 1..concurrency; bound the cache for callers that ask for anything.
      if (this.claimStatements.size >= CLAIM_STATEMENTS_MAX) this.claimStatements.clear();
      statement = this.db.prepare<[ClaimOneParams], ClaimedRow>(claimOneSql(shape, limit)).raw();
      this.claimStatements.set(key, statement);
    }
    return statement;
  }

  private statement<R>(sql: string): Database.Statement<[Record<string, unknown>], R> {
    let stmt = this.dynamic.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.dynamic.set(sql, stmt);
    }
    return stmt as Database.Statement<[Record<string, unknown>], R>;
  }
}

/** Opens the SQLite backend. */
export async function openSqliteBackend(options: SqliteBackendOptions): Promise<Backend> {
  return SqliteBackend.open(options);
}

function hasUniqueIds(items: ReadonlyArray<{ id: string }>): boolean {
  if (items.length === 1) return true;
  const ids = new Set<string>();
  for (const item of items) ids.add(item.id);
  return ids.size === items.length;
}

function usageRow(entry: UsageEntry, now: number): Record<string, unknown> {
  return {
    at: entry.at ?? now,
    jobId: entry.jobId,
    queue: entry.queue,
    tenant: entry.tenant ?? null,
    type: entry.type,
    provider: entry.provider,
    model: entry.model,
    inputTokens: Math.round(entry.inputTokens),
    outputTokens: Math.round(entry.outputTokens),
    costUsd: entry.costUsd ?? null,
  };
}

function visibleTo(row: Pick<JobRow, 'tenant'>, tenant: string | undefined): boolean {
  return tenant === undefined || row.tenant === tenant;
}
