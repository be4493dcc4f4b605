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
  FeedEvent,
  FeedPage,
  FeedParams,
  HeartbeatParams,
  HeartbeatResult,
  JobEvent,
  JobEventsParams,
  LeaseRef,
  ListParams,
  ListResult,
  ProgressParams,
  PurgeParams,
  ReclaimResult,
  RedriveParams,
  ReleaseParams,
  SettleOutcome,
  StoredOutput,
  UpdateRateBudgetParams,
} from '../../src/core/backend.js';
import type { Clock } from '../../src/core/clock.js';
import { CommitEvents } from '../../src/core/commit-events.js';
import { repeatOf } from '../../src/core/enqueue-repeat.js';
import { ConflictError, ErrorCodes, LeaseLostError, NotFoundError, SluiceError, ValidationError } from '../../src/core/errors.js';
import { SluiceEvents } from '../../src/core/events.js';
import { idempotencyMismatchError, isMismatch, mismatchField } from '../../src/core/idempotency-mismatch.js';
import { newLeaseToken } from '../../src/core/ids.js';
import { type ClaimedJob, compareClaimOrder, emptyCounts, isTerminal, type Job, type QueueStats } from '../../src/core/job.js';
import { type EventDraft, JobEventDrafts, toJobEvents } from '../../src/core/job-events.js';
import { includes, type ListedJob, type ListInclude } from '../../src/core/listed-job.js';
import type { NewJob } from '../../src/core/new-job.js';
import { EVENT_PAGE_LIMIT } from '../../src/core/ports/event-log.js';
import type { ListRecordsParams, PutRecordParams, RecordKey, StoredRecord } from '../../src/core/ports/record-store.js';
import { applyRateBudget, type RateBudgetResult, type RateBudgetState } from '../../src/core/rate-budget.js';
import { isLeaseExpired, LEASE_EXPIRED_ERROR, reclaimOutcome } from '../../src/core/reclaim-policy.js';
import {
  type RecordUsageParams,
  type UsageEntry,
  type UsageGroup,
  type UsageParams,
  type UsageTotals,
  usageTotalsFromGroups,
} from '../../src/core/usage.js';
import { MemoryRecords } from './memory-records.js';

/** The lease of a running attempt: kept beside the job, never shown in `get`/`list`. */
interface Lease {
  token: string;
  expiresAt: number;
  workerId: string;
}

interface StoredJob {
  job: Job;
  /** The request hash the job was stored with (jobs with an idempotency key). */
  requestHash?: string;
  lease?: Lease;
  /** The job's event log (seq 1, 2, 3…). */
  events: JobEvent[];
}

/**
 * The fake backend of the unit tests: every operation of the Backend port, in memory, exactly as
 * src/core/backend.ts documents it. Time (runAt, lease expiry, retention) comes from the injected
 * clock, so tests move time with a FakeClock instead of sleeping.
 *
 * Choices the port leaves open, made here the way a SQL adapter would make them:
 * - Fencing checks the lease token and `running` status only; an expired lease that nobody has
 *   reclaimed yet still lets its attempt write (reclaimExpired is what takes a lease away).
 * - Idempotency keys are unique per (tenant, queue).
 * - A `scheduled` job becomes `queued` as soon as its runAt is due (checked on every operation).
 * - Every result is a deep copy: callers cannot change stored jobs by mutating what they got.
 */
export class MemoryBackend implements Backend {
  readonly name = 'memory';
  readonly capabilities: BackendCapabilities = {
    crossProcessEvents: false,
    multiMachine: false,
    claimById: true,
    tenantClaims: true,
    rateBudgets: true,
    usage: true,
    outputText: true,
    eventLog: true,
    records: true,
  };
  readonly events = new SluiceEvents();

  private readonly clock: Clock;
  private readonly records: MemoryRecords;
  private readonly rateBudgets = new Map<string, RateBudgetState>();
  private readonly usageEntries: Array<UsageEntry & { at: number }> = [];
  private readonly jobs = new Map<string, StoredJob>();
  /** `tenant \0 queue \0 key` -> job id. */
  private readonly idempotency = new Map<string, string>();
  private readonly pausedQueues = new Set<string>();
  /** Queues ever paused or resumed: stats lists them even without jobs. */
  private readonly flaggedQueues = new Set<string>();
  /** Every job's events in append order; an event's cursor is its position (1, 2, 3…). */
  private readonly feedLog: FeedEvent[] = [];
  /** Cursor of the newest event ever appended (purged events leave gaps in feedLog's cursors). */
  private lastCursor = 0;
  private closed = false;
  /** Largest output (bytes of JSON) a completion may store; a larger one fails the job, as on Redis. */
  private readonly maxOutputBytes: number;

  constructor(options: { clock: Clock; maxOutputBytes?: number }) {
    this.clock = options.clock;
    this.records = new MemoryRecords(options.clock);
    this.maxOutputBytes = options.maxOutputBytes ?? Number.POSITIVE_INFINITY;
  }

  async enqueue(params: EnqueueParams): Promise<EnqueueResult[]> {
    const now = this.begin();
    // Validate the whole batch before storing anything: enqueue is all or none.
    const seenIds = new Set<string>();
    for (const newJob of params.jobs) {
      if (this.jobs.has(newJob.id) || seenIds.has(newJob.id)) throw new ConflictError(`job ${newJob.id} already exists`, 'id');
      seenIds.add(newJob.id);
    }
    if (params.mismatch === 'reject') this.checkKeysOf(params.jobs);
    const results: EnqueueResult[] = [];
    const events = new CommitEvents();
    const createdPerQueue = new Map<string, number>();
    for (const newJob of params.jobs) {
      const key =
        newJob.idempotencyKey === undefined ? undefined : idempotencyIndexKey(newJob.tenant, newJob.queue, newJob.idempotencyKey);
      const existingId = key === undefined ? undefined : this.idempotency.get(key);
      const existing = existingId === undefined ? undefined : this.jobs.get(existingId);
      if (existing) {
        results.push(repeatOf(copyJob(existing.job), existing.requestHash));
        continue;
      }
      const runAt = newJob.runAt ?? now + (newJob.delayMs ?? 0);
      const job: Job = {
        id: newJob.id,
        type: newJob.type,
        queue: newJob.queue,
        status: runAt > now ? 'scheduled' : 'queued',
        input: structuredClone(newJob.input),
        priority: newJob.priority,
        attempts: 0,
        maxAttempts: newJob.maxAttempts,
        backoff: { ...newJob.backoff },
        createdAt: now,
        runAt,
        updatedAt: now,
      };
      if (newJob.timeoutMs !== undefined) job.timeoutMs = newJob.timeoutMs;
      if (newJob.idempotencyKey !== undefined) job.idempotencyKey = newJob.idempotencyKey;
      if (newJob.metadata !== undefined) job.metadata = structuredClone(newJob.metadata);
      if (newJob.tenant !== undefined) job.tenant = newJob.tenant;
      const stored: StoredJob =
        newJob.requestHash === undefined ? { job, events: [] } : { job, requestHash: newJob.requestHash, events: [] };
      this.jobs.set(job.id, stored);
      this.append(stored, now, JobEventDrafts.created(job), events);
      if (key !== undefined) this.idempotency.set(key, job.id);
      createdPerQueue.set(job.queue, (createdPerQueue.get(job.queue) ?? 0) + 1);
      results.push({ job: copyJob(job), created: true });
    }
    for (const [queue, count] of createdPerQueue) events.enqueued(queue, count);
    events.emitTo(this.events);
    return results;
  }

  /** Refuses the batch before storing any of it when a key matches a job of a different request. */
  private checkKeysOf(jobs: readonly NewJob[]): void {
    jobs.forEach((newJob, i) => {
      if (newJob.idempotencyKey === undefined) return;
      const existingId = this.idempotency.get(idempotencyIndexKey(newJob.tenant, newJob.queue, newJob.idempotencyKey));
      const existing = existingId === undefined ? undefined : this.jobs.get(existingId);
      if (existing && isMismatch(newJob, repeatOf(existing.job, existing.requestHash))) {
        throw idempotencyMismatchError(newJob, existing.job.id, mismatchField(i, jobs.length));
      }
    });
  }

  async claim(params: ClaimParams): Promise<ClaimedJob[]> {
    const now = this.begin();
    if (params.limit <= 0) return [];
    const queues = new Set(params.queues);
    const types = params.types === undefined ? undefined : new Set(params.types);
    const due = [...this.jobs.values()]
      .filter(
        ({ job }) =>
          job.status === 'queued' &&
          job.runAt <= now &&
          queues.has(job.queue) &&
          !this.pausedQueues.has(job.queue) &&
          (types === undefined || types.has(job.type)) &&
          (params.tenant === undefined || job.tenant === params.tenant),
      )
      .sort((a, b) => compareClaimOrder(a.job, b.job))
      .slice(0, params.limit);
    return this.lease(due, now, params);
  }

  async claimIds(params: ClaimIdsParams): Promise<ClaimedJob[]> {
    const now = this.begin();
    const types = params.types === undefined ? undefined : new Set(params.types);
    const picked = [...new Set(params.ids)]
      .map((id) => this.jobs.get(id))
      .filter(
        (stored): stored is StoredJob =>
          stored !== undefined &&
          stored.job.status === 'queued' &&
          stored.job.runAt <= now &&
          !this.pausedQueues.has(stored.job.queue) &&
          (types === undefined || types.has(stored.job.type)) &&
          (params.tenant === undefined || stored.job.tenant === params.tenant),
      )
      .sort((a, b) => compareClaimOrder(a.job, b.job));
    return this.lease(picked, now, params);
  }

  private lease(due: StoredJob[], now: number, params: { leaseMs: number; workerId: string }): ClaimedJob[] {
    const events = new CommitEvents();
    const claimed = due.map((stored) => {
      const lease: Lease = { token: newLeaseToken(), expiresAt: now + params.leaseMs, workerId: params.workerId };
      stored.lease = lease;
      const job = stored.job;
      job.status = 'running';
      job.attempts += 1;
      job.startedAt = now;
      job.updatedAt = now;
      this.append(stored, now, [JobEventDrafts.started(job.attempts, lease.workerId, lease.expiresAt)], events);
      return {
        ...copyJob(job),
        status: 'running',
        leaseToken: lease.token,
        leaseExpiresAt: lease.expiresAt,
        workerId: lease.workerId,
      } satisfies ClaimedJob;
    });
    events.emitTo(this.events);
    return claimed;
  }

  async heartbeat(params: HeartbeatParams): Promise<HeartbeatResult> {
    const now = this.begin();
    const lost: string[] = [];
    for (const ref of params.leases) {
      const stored = this.held(ref);
      if (stored?.lease) stored.lease.expiresAt = now + params.leaseMs;
      else lost.push(ref.id);
    }
    return { lost };
  }

  async complete(params: CompleteParams): Promise<SettleOutcome[]> {
    const now = this.begin();
    const events = new CommitEvents();
    const outcomes = params.items.map((item): SettleOutcome => {
      const stored = this.held(item);
      if (!stored) return { id: item.id, result: 'lease_lost' };
      delete stored.lease;
      const job = stored.job;
      const bytes = Buffer.byteLength(JSON.stringify(item.output ?? null));
      const tooLarge =
        bytes > this.maxOutputBytes
          ? { code: ErrorCodes.payloadTooLarge, message: `the output is ${bytes} bytes of JSON`, permanent: true }
          : undefined;
      if (tooLarge) {
        job.status = 'failed';
        job.error = tooLarge;
        this.append(stored, now, [JobEventDrafts.failed(job.attempts, tooLarge)], events);
      } else {
        job.status = 'succeeded';
        job.output = structuredClone(item.output);
        this.append(stored, now, [JobEventDrafts.succeeded(job.attempts, structuredClone(item.output))], events);
      }
      job.finishedAt = now;
      job.updatedAt = now;
      events.finished(copyJob(job));
      return tooLarge ? { id: item.id, result: 'failed', error: tooLarge } : { id: item.id, result: 'ok' };
    });
    events.emitTo(this.events);
    return outcomes;
  }

  async fail(params: FailParams): Promise<SettleOutcome[]> {
    const now = this.begin();
    const events = new CommitEvents();
    const outcomes = params.items.map((item): SettleOutcome => {
      const stored = this.held(item);
      if (!stored) return { id: item.id, result: 'lease_lost' };
      delete stored.lease;
      const job = stored.job;
      job.error = { ...item.error };
      job.updatedAt = now;
      if (item.outcome === 'retry') {
        job.runAt = now + Math.max(0, item.delayMs);
        job.status = job.runAt > now ? 'scheduled' : 'queued';
        this.append(stored, now, [JobEventDrafts.retrying(job.attempts, { ...item.error }, job.runAt)], events);
        events.requeued(job.id, job.queue);
      } else {
        job.status = 'failed';
        job.finishedAt = now;
        this.append(stored, now, [JobEventDrafts.failed(job.attempts, { ...item.error })], events);
        events.finished(copyJob(job));
      }
      return { id: item.id, result: 'ok' };
    });
    events.emitTo(this.events);
    return outcomes;
  }

  async release(params: ReleaseParams): Promise<SettleOutcome[]> {
    const now = this.begin();
    const events = new CommitEvents();
    const outcomes = params.items.map((item): SettleOutcome => {
      const stored = this.held(item);
      if (!stored) return { id: item.id, result: 'lease_lost' };
      delete stored.lease;
      const job = stored.job;
      // Given back as if never claimed: the attempt does not count, and runAt keeps its place.
      job.status = 'queued';
      this.append(stored, now, [JobEventDrafts.released(job.attempts)], events);
      job.attempts = Math.max(0, job.attempts - 1);
      job.updatedAt = now;
      events.requeued(job.id, job.queue);
      return { id: item.id, result: 'ok' };
    });
    events.emitTo(this.events);
    return outcomes;
  }

  async reportProgress(params: ProgressParams): Promise<void> {
    const now = this.begin();
    const stored = this.held(params);
    if (!stored) throw new LeaseLostError(params.id);
    stored.job.progress = structuredClone(params.progress);
    stored.job.updatedAt = now;
    const events = new CommitEvents();
    this.append(stored, now, [JobEventDrafts.progress(stored.job.attempts, structuredClone(params.progress))], events);
    events.add('job:progress', { id: params.id, progress: structuredClone(params.progress) }).emitTo(this.events);
  }

  async cancel(params: { id: string; tenant?: string | undefined }): Promise<Job> {
    const now = this.begin();
    const stored = this.visible(params.id, params.tenant);
    if (!stored) throw new NotFoundError(`job ${params.id} not found`);
    const job = stored.job;
    if (isTerminal(job.status)) throw new ConflictError(`job ${params.id} already ended (${job.status})`);
    const wasRunning = job.status === 'running';
    const from = job.status;
    // Revoking the lease is what fences the running attempt out of every later write.
    delete stored.lease;
    job.status = 'cancelled';
    job.finishedAt = now;
    job.updatedAt = now;
    const events = new CommitEvents();
    this.append(stored, now, [JobEventDrafts.cancelled(from, job.attempts)], events);
    events.cancelled(copyJob(job), wasRunning).emitTo(this.events);
    return copyJob(job);
  }

  async get(params: { id: string; tenant?: string | undefined }): Promise<Job | null> {
    this.begin();
    const stored = this.visible(params.id, params.tenant);
    return stored ? copyJob(stored.job) : null;
  }

  async readOutput(params: { id: string; tenant?: string | undefined }): Promise<StoredOutput | null> {
    this.begin();
    const stored = this.visible(params.id, params.tenant);
    if (!stored) return null;
    const { status, output } = stored.job;
    return output === undefined ? { status } : { status, outputJson: JSON.stringify(output) };
  }

  async list(params: ListParams): Promise<ListResult> {
    this.begin();
    const cursor = params.cursor;
    const matching = [...this.jobs.values()]
      .map(({ job }) => job)
      .filter(
        (job) =>
          (params.queue === undefined || job.queue === params.queue) &&
          (params.status === undefined || job.status === params.status) &&
          (params.type === undefined || job.type === params.type) &&
          (params.tenant === undefined || job.tenant === params.tenant) &&
          (cursor === undefined || job.id < cursor),
      )
      // Newest first: ids are time-sortable (UUIDv7), so the id is both the order and the cursor.
      .sort((a, b) => compareStrings(b.id, a.id));
    const limit = Math.max(0, params.limit);
    const page = matching.slice(0, limit);
    const last = page[page.length - 1];
    const result: ListResult = { jobs: page.map((job) => listedJob(job, params.include)) };
    if (matching.length > limit && last) result.nextCursor = last.id;
    return result;
  }

  async pauseQueue(params: { queue: string; paused: boolean }): Promise<void> {
    this.begin();
    this.flaggedQueues.add(params.queue);
    if (params.paused) this.pausedQueues.add(params.queue);
    else this.pausedQueues.delete(params.queue);
    new CommitEvents().add('queue:paused', { queue: params.queue, paused: params.paused }).emitTo(this.events);
  }

  async redrive(params: RedriveParams): Promise<number> {
    const now = this.begin();
    const ids = params.ids === undefined ? undefined : new Set(params.ids);
    const chosen = [...this.jobs.values()]
      .filter(
        ({ job }) =>
          job.status === 'failed' &&
          (params.queue === undefined || job.queue === params.queue) &&
          (params.type === undefined || job.type === params.type) &&
          (params.tenant === undefined || job.tenant === params.tenant) &&
          (ids === undefined || ids.has(job.id)),
      )
      .sort((a, b) => compareStrings(a.job.id, b.job.id))
      .slice(0, params.limit ?? Number.POSITIVE_INFINITY);
    const events = new CommitEvents();
    for (const stored of chosen) {
      const job = stored.job;
      // A fresh start: no attempts, no error, due now.
      job.status = 'queued';
      job.attempts = 0;
      job.runAt = now;
      job.updatedAt = now;
      if (params.maxAttempts !== undefined) job.maxAttempts = params.maxAttempts;
      if (params.timeoutMs !== undefined) job.timeoutMs = params.timeoutMs;
      delete job.error;
      delete job.finishedAt;
      this.append(stored, now, [JobEventDrafts.redriven(now)], events);
    }
    events.requeuedBatch(chosen.map(({ job }) => job));
    events.emitTo(this.events);
    return chosen.length;
  }

  async reclaimExpired(params: { limit?: number } = {}): Promise<ReclaimResult> {
    const now = this.begin();
    const expired = [...this.jobs.values()]
      .filter((stored) => stored.job.status === 'running' && stored.lease !== undefined && isLeaseExpired(stored.lease, now))
      .sort((a, b) => (a.lease?.expiresAt ?? 0) - (b.lease?.expiresAt ?? 0) || compareStrings(a.job.id, b.job.id))
      .slice(0, params.limit ?? Number.POSITIVE_INFINITY);
    const result: ReclaimResult = { requeued: 0, failed: 0 };
    const events = new CommitEvents();
    for (const stored of expired) {
      delete stored.lease;
      const job = stored.job;
      job.updatedAt = now;
      job.error = { ...LEASE_EXPIRED_ERROR };
      const outcome = reclaimOutcome(job);
      this.append(stored, now, JobEventDrafts.lost(job.attempts, { ...LEASE_EXPIRED_ERROR }, outcome), events);
      if (outcome === 'failed') {
        job.status = 'failed';
        job.finishedAt = now;
        result.failed += 1;
        events.finished(copyJob(job));
      } else {
        // The attempt counts (a claim already added it); runAt keeps its place in the claim order.
        job.status = 'queued';
        result.requeued += 1;
        events.requeued(job.id, job.queue);
      }
    }
    events.emitTo(this.events);
    return result;
  }

  async purgeFinished(params: PurgeParams): Promise<number> {
    const now = this.begin();
    const finishedBefore = now - params.finishedOlderThanMs;
    const failedBefore = now - (params.failedOlderThanMs ?? params.finishedOlderThanMs);
    const doomed = [...this.jobs.values()]
      .map(({ job }) => job)
      .filter((job) => {
        if (job.finishedAt === undefined) return false;
        if (job.status === 'failed') return job.finishedAt < failedBefore;
        return (job.status === 'succeeded' || job.status === 'cancelled') && job.finishedAt < finishedBefore;
      })
      .sort((a, b) => (a.finishedAt ?? 0) - (b.finishedAt ?? 0) || compareStrings(a.id, b.id))
      .slice(0, params.limit ?? Number.POSITIVE_INFINITY);
    const gone = new Set(doomed.map((job) => job.id));
    for (let i = this.feedLog.length - 1; i >= 0; i--) if (gone.has(this.feedLog[i]!.jobId)) this.feedLog.splice(i, 1);
    for (const job of doomed) {
      this.jobs.delete(job.id);
      if (job.idempotencyKey !== undefined)
        this.idempotency.delete(idempotencyIndexKey(job.tenant, job.queue, job.idempotencyKey));
    }
    return doomed.length;
  }

  async stats(params: { queue?: string | undefined; tenant?: string | undefined } = {}): Promise<QueueStats[]> {
    const now = this.begin();
    const byQueue = new Map<string, QueueStats>();
    const entry = (name: string): QueueStats => {
      let stats = byQueue.get(name);
      if (!stats) {
        stats = { name, paused: this.pausedQueues.has(name), counts: emptyCounts(), oldestQueuedAgeMs: 0 };
        byQueue.set(name, stats);
      }
      return stats;
    };
    // With a tenant, only that tenant's queues are known; pause flags belong to no tenant.
    if (params.tenant === undefined) for (const name of this.flaggedQueues) entry(name);
    for (const { job } of this.jobs.values()) {
      if (params.tenant !== undefined && job.tenant !== params.tenant) continue;
      const stats = entry(job.queue);
      stats.counts[job.status] += 1;
      if (job.status === 'queued') stats.oldestQueuedAgeMs = Math.max(stats.oldestQueuedAgeMs, now - job.runAt);
    }
    return [...byQueue.values()]
      .filter((stats) => params.queue === undefined || stats.name === params.queue)
      .sort((a, b) => compareStrings(a.name, b.name));
  }

  async updateRateBudget({ scope, action }: UpdateRateBudgetParams): Promise<RateBudgetResult> {
    const { state, result } = applyRateBudget(this.rateBudgets.get(scope), action, this.clock.now());
    this.rateBudgets.set(scope, state);
    return result;
  }

  async putRecord(params: PutRecordParams): Promise<boolean> {
    this.begin();
    return this.records.putRecord(params);
  }

  async getRecord(params: RecordKey): Promise<unknown> {
    this.begin();
    return this.records.getRecord(params);
  }

  async listRecords(params: ListRecordsParams): Promise<StoredRecord[]> {
    this.begin();
    return this.records.listRecords(params);
  }

  async deleteRecord(params: RecordKey): Promise<boolean> {
    this.begin();
    return this.records.deleteRecord(params);
  }

  async purgeExpiredRecords(params?: { limit?: number | undefined }): Promise<number> {
    this.begin();
    return this.records.purgeExpiredRecords(params);
  }

  async recordUsage({ entries }: RecordUsageParams): Promise<void> {
    const now = this.begin();
    for (const entry of entries) this.usageEntries.push({ ...entry, at: entry.at ?? now });
  }

  async usage(params: UsageParams): Promise<UsageTotals> {
    this.begin();
    const groups = new Map<string, UsageGroup>();
    for (const entry of this.usageEntries) {
      if (params.queue !== undefined && entry.queue !== params.queue) continue;
      if (params.tenant !== undefined && entry.tenant !== params.tenant) continue;
      if (params.since !== undefined && entry.at < params.since) continue;
      if (params.until !== undefined && entry.at >= params.until) continue;
      const key = JSON.stringify([entry.queue, entry.tenant ?? null, entry.provider, entry.model]);
      let group = groups.get(key);
      if (!group) {
        group = {
          queue: entry.queue,
          tenant: entry.tenant ?? null,
          provider: entry.provider,
          model: entry.model,
          inputTokens: 0,
          outputTokens: 0,
          costUsd: 0,
          calls: 0,
        };
        groups.set(key, group);
      }
      group.inputTokens += Math.round(entry.inputTokens);
      group.outputTokens += Math.round(entry.outputTokens);
      group.costUsd += entry.costUsd ?? 0;
      group.calls += 1;
    }
    return usageTotalsFromGroups([...groups.values()], params);
  }

  async jobEvents(params: JobEventsParams): Promise<JobEvent[] | null> {
    this.begin();
    const stored = this.visible(params.id, params.tenant);
    if (!stored) return null;
    const after = params.after ?? 0;
    const limit = Math.min(params.limit ?? EVENT_PAGE_LIMIT, EVENT_PAGE_LIMIT);
    return structuredClone(stored.events.filter((event) => event.seq > after).slice(0, limit));
  }

  async feed(params: FeedParams): Promise<FeedPage> {
    this.begin();
    const after = params.after === undefined ? 0 : parseCursor(params.after);
    const limit = Math.min(params.limit, EVENT_PAGE_LIMIT);
    if (limit <= 0) return { events: [], cursor: String(this.lastCursor) };
    const types = params.types === undefined ? undefined : new Set(params.types);
    const events: FeedEvent[] = [];
    let cursor = after;
    for (const event of this.feedLog) {
      const position = Number(event.cursor);
      if (position <= after) continue;
      if (events.length === limit) break;
      cursor = position;
      if (params.tenant !== undefined && event.tenant !== params.tenant) continue;
      if (params.queue !== undefined && event.queue !== params.queue) continue;
      if (types !== undefined && !types.has(event.type)) continue;
      events.push(structuredClone(event));
    }
    return { events, cursor: String(cursor) };
  }

  async appendOutput(params: AppendOutputParams): Promise<JobEvent> {
    const now = this.begin();
    const stored = this.held(params);
    if (!stored) throw new LeaseLostError(params.id);
    stored.job.updatedAt = now;
    const events = new CommitEvents();
    const [event] = this.append(
      stored,
      now,
      [JobEventDrafts.outputDelta(stored.job.attempts, structuredClone(params.chunks))],
      events,
    );
    events.emitTo(this.events);
    return structuredClone(event!);
  }

  async ping(): Promise<void> {
    this.begin();
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Starts an operation: refuses after close, promotes due scheduled jobs, and returns "now". */
  private begin(): number {
    if (this.closed) throw new SluiceError(ErrorCodes.backendUnavailable, 'memory backend is closed');
    const now = this.clock.now();
    for (const { job } of this.jobs.values()) {
      if (job.status === 'scheduled' && job.runAt <= now) job.status = 'queued';
    }
    return now;
  }

  /** Appends a change's events to the job's log and the feed; tells of them once `events` is emitted. */
  private append(stored: StoredJob, now: number, drafts: readonly EventDraft[], events: CommitEvents): JobEvent[] {
    const appended = toJobEvents(stored.job, stored.events.length, now, drafts);
    for (const event of appended) {
      stored.events.push(event);
      this.lastCursor += 1;
      this.feedLog.push({ ...structuredClone(event), cursor: String(this.lastCursor) });
    }
    const last = appended.at(-1);
    if (last) events.appended(stored.job.id, stored.job.queue, last.seq);
    return appended;
  }

  /** The job when `ref` holds its current lease (the fencing check), otherwise undefined. */
  private held(ref: LeaseRef): StoredJob | undefined {
    const stored = this.jobs.get(ref.id);
    return stored?.job.status === 'running' && stored.lease?.token === ref.leaseToken ? stored : undefined;
  }

  /** The job when it exists and the tenant (if any) may see it. */
  private visible(id: string, tenant: string | undefined): StoredJob | undefined {
    const stored = this.jobs.get(id);
    if (!stored || (tenant !== undefined && stored.job.tenant !== tenant)) return undefined;
    return stored;
  }
}

/** The feed's cursors here are positions: whole numbers from 0. */
function parseCursor(text: string): number {
  if (!/^(0|[1-9][0-9]{0,15})$/.test(text)) throw new ValidationError(`after: "${text}" is not a cursor of this feed`, 'after');
  return Number(text);
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function idempotencyIndexKey(tenant: string | undefined, queue: string, key: string): string {
  return `${tenant ?? ''}\u0000${queue}\u0000${key}`;
}

function copyJob(job: Job): Job {
  return structuredClone(job);
}

/** A list's view of a job: input and output only when included, the sizes of their JSON always. */
function listedJob(job: Job, include: readonly ListInclude[] | undefined): ListedJob {
  const { input, output, ...summary } = copyJob(job);
  const listed: ListedJob = {
    ...summary,
    inputBytes: jsonBytes(input ?? null),
    outputBytes: output === undefined ? 0 : jsonBytes(output),
  };
  if (includes(include, 'input')) listed.input = input;
  if (includes(include, 'output') && output !== undefined) listed.output = output;
  return listed;
}

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}
