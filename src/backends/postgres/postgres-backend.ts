import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
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
import type { Clock } from '../../core/clock.js';
import { CommitEvents } from '../../core/commit-events.js';
import { repeatOf } from '../../core/enqueue-repeat.js';
import {
  ConflictError,
  ErrorCodes,
  isSluiceError,
  LeaseLostError,
  NotFoundError,
  SluiceError,
  ValidationError,
} from '../../core/errors.js';
import { SluiceEvents } from '../../core/events.js';
import { rejectMismatches } from '../../core/idempotency-mismatch.js';
import { type ClaimedJob, compareClaimOrder, isTerminal, type Job, type JobStatus, type QueueStats } from '../../core/job.js';
import type { NewJob } from '../../core/new-job.js';
import { EVENT_PAGE_LIMIT } from '../../core/ports/event-log.js';
import { assembleQueueStats, type QueueFlagRow, type StatusCountRow } from '../../core/queue-stats.js';
import { applyRateBudget, type RateBudgetResult, type RateBudgetState } from '../../core/rate-budget.js';
import { LEASE_EXPIRED_ERROR_JSON } from '../../core/reclaim-policy.js';
import {
  type RecordUsageParams,
  type UsageGroup,
  type UsageParams,
  type UsageTotals,
  usageTotalsFromGroups,
} from '../../core/usage.js';
import { effectiveStatus, type ListedRow, rowToListedJob } from '../sql/job-row.js';
import {
  type ConnectionSettings,
  createClient,
  createPool,
  PG_TYPES,
  type PostgresTimeouts,
  parsePostgresUrl,
} from './connection.js';
import { type EventRow, type FeedRow, feedPageFrom, rowToJobEvent } from './event-rows.js';
import { FEED_START, formatFeedCursor, parseFeedCursor } from './feed-cursor.js';
import { inLongTransaction, type Queryable } from './long-statements.js';
import { assertSchemaCurrent, migrate } from './migrations.js';
import { Notifier } from './notifier.js';
import { MAX_INLINE_PROGRESS_BYTES, type WireEvent, type WireMessage } from './notify-payload.js';
import { PostgresRecords } from './records.js';
import {
  insertedJob,
  type JobRow,
  jsonArray,
  rowToClaimedJob,
  rowToJob,
  toInsertColumns,
  toNullableJsonText,
} from './row-mapping.js';
import { listQuery, type OutputRow, readOutputQuery, redriveQuery, statsQuery } from './sql/admin.js';
import { channelName, type SchemaSql, schemaSql } from './sql/common.js';
import { ledgerSql, recordUsageQuery, usageQuery } from './sql/ledger.js';
import { buildStatements, type Statement, type Statements } from './statements.js';
import { closedError, translateError } from './translate-error.js';

/** Options of the PostgreSQL adapter. */
export interface PostgresBackendOptions {
  /** `postgres://user:password@host:5432/database[?schema=NAME]` (any libpq-style URL pg accepts). */
  url: string;
  /**
   * Time source for tests. Leave it out in production: the DATABASE's clock then decides runAt,
   * lease expiry and retention, so workers on machines with skewed clocks agree.
   */
  clock?: Clock | undefined;
  /** Create or upgrade the schema on open (default true). `false`: check it is current, else throw
   * SLUICE_CONFIG asking for `sluice migrate`. */
  migrate?: boolean | undefined;
  /** Schema holding Sluice's tables; default the URL's `?schema=`, else `sluice`. */
  schema?: string | undefined;
  /** Connections in the pool (default 10); one more is held for LISTEN. */
  poolSize?: number | undefined;
}

type Row = JobRow & { sluice_now: number };
/** A row a write changed, with the seq of its newest event. */
type Changed = { id: string; queue: string; event_seq: number };

/** Finished jobs deleted per statement by a retention pass given no limit. */
const PURGE_BATCH = 5_000;

/** Most events one feed read scans past its cursor, matched by its filters or not. */
const FEED_SCAN_LIMIT = 10_000;
/**
 * Pauses before a feed page is read again while committed events wait beyond the horizon (an older
 * transaction still open, anywhere on the server): short ones end within these, and a long one
 * holds the feed back, not wrong (the page returns what is safe, and its cursor stays before them).
 */
const FEED_HELD_BACK_WAITS_MS = [1, 4, 10, 25];

/**
 * The Backend port on PostgreSQL (node-postgres pool).
 *
 * - Every operation is one statement, so one round trip and its own transaction: batches travel as
 *   arrays (`unnest`), claims lease with `FOR UPDATE SKIP LOCKED`, and every attempt-scoped write is
 *   fenced by the lease token in its WHERE clause.
 * - Time is the database's (`statement_timestamp()`) unless a clock is injected (tests).
 * - Events are emitted locally after the statement commits and relayed to every other process on
 *   the same schema with LISTEN/NOTIFY (see Notifier), so workers elsewhere wake at once and
 *   `waitFor` hears of jobs finished by other machines.
 * - Transactional enqueue: `enqueue({ jobs, connection })` writes with the caller's client inside
 *   its open transaction (no BEGIN/COMMIT of ours), and sends its NOTIFY there too, so the jobs and
 *   the `jobs:enqueued` event (in this process and others) exist only once the caller commits.
 * - The event log (sql/event-log.ts): every write statement appends the events of the rows it
 *   changed in the same statement; `events:appended` is emitted here after the commit, one per job
 *   with its newest seq, and is not relayed to other processes.
 * - The record store (records.ts, sql/records.ts): one statement per call, expiring on the same
 *   clock as leases.
 */
export class PostgresBackend implements Backend {
  readonly name = 'postgres';
  readonly capabilities: BackendCapabilities = {
    crossProcessEvents: true,
    multiMachine: true,
    claimById: true,
    tenantClaims: true,
    rateBudgets: true,
    usage: true,
    outputText: true,
    eventLog: true,
    records: true,
  };
  readonly events = new SluiceEvents();
  /** Schema holding the tables. */
  readonly schema: string;

  private readonly pool: pg.Pool;
  private readonly timeouts: PostgresTimeouts;
  private readonly clock: Clock | undefined;
  private readonly sql: Statements;
  /** The schema's tables, for the queries built per call (sql/admin.ts, sql/ledger.ts). */
  private readonly t: SchemaSql;
  private readonly ledger: ReturnType<typeof ledgerSql>;
  private readonly notifier: Notifier;
  private readonly recordStore: PostgresRecords;
  /** NOTIFY channel and this handle's origin tag, for the enqueue that notifies in its own statement. */
  private readonly channel: string;
  private readonly origin = randomUUID();
  private closed = false;

  private constructor(pool: pg.Pool, schema: string, clock: Clock | undefined, settings: ConnectionSettings) {
    this.pool = pool;
    this.timeouts = settings.timeouts;
    this.schema = schema;
    this.clock = clock;
    this.sql = buildStatements(schema);
    this.t = schemaSql(schema);
    this.ledger = ledgerSql(this.t);
    this.channel = channelName(schema);
    this.recordStore = new PostgresRecords(this.sql, <R extends pg.QueryResultRow>(statement: Statement, values: unknown[]) =>
      this.guard(() => this.query<R>(statement, values)),
    );
    this.notifier = new Notifier({
      channel: this.channel,
      origin: this.origin,
      pool,
      connect: () => createClient(settings),
      onMessage: (message, own) => this.relay(message, own),
    });
  }

  /** Opens the pool, migrates (or checks) the schema and starts listening for other processes' events. */
  static async open(options: PostgresBackendOptions): Promise<PostgresBackend> {
    const { connectionString, schema, timeouts } = parsePostgresUrl(options.url, options.schema);
    const settings: ConnectionSettings = {
      connectionString,
      timeouts,
      poolSize: options.poolSize ?? 10,
      applicationName: `sluice:${schema}`,
    };
    const pool = createPool(settings);
    let backend: PostgresBackend | undefined;
    try {
      await inLongTransaction(pool, timeouts, async (client) => {
        if (options.migrate === false) await assertSchemaCurrent(client, schema);
        else await migrate(client, schema);
      });
      backend = new PostgresBackend(pool, schema, options.clock, settings);
      await backend.notifier.start();
      return backend;
    } catch (error) {
      if (backend) await backend.close();
      else await pool.end().catch(() => undefined);
      throw translateError(error);
    }
  }

  async enqueue({ jobs, connection, mismatch }: EnqueueParams): Promise<EnqueueResult[]> {
    if (jobs.length === 0) return [];
    const client = connection === undefined ? undefined : asQueryable(connection);
    // A batch refused for a reused key must store none of its jobs: the other jobs' rows are undone
    // with it (a transaction of ours, or a savepoint in the caller's). A lone job needs none: a key
    // hit inserts nothing.
    if (mismatch === 'reject' && jobs.length > 1 && jobs.some((job) => job.idempotencyKey !== undefined)) {
      return client ? this.guard(() => this.enqueueWithinSavepoint(jobs, client)) : this.enqueueInTransaction(jobs);
    }
    // Jobs inserted by a statement that could not carry its own NOTIFY (see insertNotify).
    const unsent: EnqueueResult[] = [];
    const results = await this.guard(() => this.store(jobs, client, 0, unsent));
    if (mismatch === 'reject') rejectMismatches(jobs, results);
    if (client) {
      // Delivered on the caller's commit, to this process too (see publishWithin).
      await this.guard(() => this.notifier.publishWithin(client, [...appendedWire(results), ...enqueuedWire(results)]));
    } else {
      // Other processes were told by the INSERT itself, on its commit; this handle emits here (its
      // own NOTIFYs carry its origin and are skipped on arrival).
      this.emitCreated(results);
      this.notifier.publish(enqueuedWire(unsent));
    }
    return results;
  }

  /**
   * A refusing batch on the pool: a transaction of its own, whose insert still announces itself
   * (its NOTIFY goes out on commit, and not at all on a refusal).
   */
  private async enqueueInTransaction(jobs: NewJob[]): Promise<EnqueueResult[]> {
    const unsent: EnqueueResult[] = [];
    const results = await this.guard(async () => {
      const client = await this.pool.connect();
      try {
        await client.query('BEGIN');
        const stored = await this.store(jobs, client, 0, unsent, true);
        rejectMismatches(jobs, stored);
        await client.query('COMMIT');
        client.release();
        return stored;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        // A refusal leaves a healthy connection; any other failure may not.
        client.release(!isSluiceError(error));
        throw error;
      }
    });
    this.emitCreated(results);
    this.notifier.publish(enqueuedWire(unsent));
    return results;
  }

  /** After an enqueue committed: the created jobs' `events:appended`, then `jobs:enqueued` per queue. */
  private emitCreated(results: EnqueueResult[]): void {
    for (const [, id, queue, seq] of appendedWire(results)) this.events.emit('events:appended', { id, queue, seq });
    for (const [, queue, count] of enqueuedWire(results)) this.events.emit('jobs:enqueued', { queue, count });
  }

  /** A refusing batch inside the caller's transaction: a refusal undoes only this batch's rows. */
  private async enqueueWithinSavepoint(jobs: NewJob[], client: Queryable): Promise<EnqueueResult[]> {
    await client.query('SAVEPOINT sluice_enqueue');
    try {
      const results = await this.store(jobs, client, 0, []);
      rejectMismatches(jobs, results);
      await client.query('RELEASE SAVEPOINT sluice_enqueue');
      await this.notifier.publishWithin(client, [...appendedWire(results), ...enqueuedWire(results)]);
      return results;
    } catch (error) {
      await client.query('ROLLBACK TO SAVEPOINT sluice_enqueue').catch(() => undefined);
      throw error;
    }
  }

  /**
   * Inserts the batch in one statement; idempotency repeats are read back in a second one. On the
   * pool (no caller's transaction) the insert also sends the `jobs:enqueued` NOTIFY; when it could
   * not (payload too large), the created results are pushed to `unsent` for the notifier.
   */
  private async store(
    jobs: NewJob[],
    client: Queryable | undefined,
    depth: number,
    unsent: EnqueueResult[],
    announce = client === undefined,
  ): Promise<EnqueueResult[]> {
    // A repeat inside the batch maps to its first occurrence.
    const firstOfKey = new Map<string, number>();
    const unique: NewJob[] = [];
    const slots = jobs.map((job): { unique: number; repeat: boolean } => {
      if (job.idempotencyKey === undefined) return { unique: unique.push(job) - 1, repeat: false };
      const key = keyOf(job.queue, job.tenant ?? '', job.idempotencyKey);
      const first = firstOfKey.get(key);
      if (first !== undefined) return { unique: first, repeat: true };
      const index = unique.push(job) - 1;
      firstOfKey.set(key, index);
      return { unique: index, repeat: false };
    });
    const c = toInsertColumns(unique);
    const inputJson = jsonArray(c.input);
    const inserted = await this.query<{ id: string; status: string; created_at: number; run_at: number; notified?: boolean }>(
      announce ? this.sql.insertNotify : this.sql.insert,
      [
        c.id,
        c.queue,
        c.type,
        inputJson,
        c.priority,
        c.max_attempts,
        jsonArray(c.backoff),
        c.timeout_ms,
        c.idempotency_key,
        c.metadata,
        c.tenant,
        c.run_at,
        c.delay_ms,
        c.request_hash,
        ...(announce ? [this.channel, this.origin] : []),
      ],
      client,
    );
    const stored = new Map(inserted.rows.map((row) => [row.id, row]));
    // The answers' inputs come from the text the INSERT sent, parsed in one call for the batch.
    const inputs = inserted.rows.length > 0 ? (JSON.parse(inputJson) as unknown[]) : [];
    const uniqueResults: Array<EnqueueResult | undefined> = unique.map((job, i) => {
      const row = stored.get(job.id);
      return row ? { job: insertedJob(job, row, inputs[i]), created: true } : undefined;
    });
    if (announce && inserted.rows[0]?.notified === false) {
      for (const result of uniqueResults) if (result) unsent.push(result);
    }
    const missing = unique.filter((_, i) => uniqueResults[i] === undefined);
    if (missing.length > 0) {
      const existing = await this.query<Row>(
        this.sql.byIdempotencyKeys,
        [missing.map((j) => j.queue), missing.map((j) => j.tenant ?? ''), missing.map((j) => j.idempotencyKey ?? '')],
        client,
      );
      const byKey = new Map(existing.rows.map((row) => [keyOf(row.queue, row.tenant ?? '', row.idempotency_key ?? ''), row]));
      const vanished: number[] = [];
      unique.forEach((job, i) => {
        if (uniqueResults[i] !== undefined) return;
        const row = byKey.get(keyOf(job.queue, job.tenant ?? '', job.idempotencyKey ?? ''));
        if (row) uniqueResults[i] = repeatOf(rowToJob(row, row.sluice_now), row.request_hash);
        else vanished.push(i);
      });
      if (vanished.length > 0) {
        // The matching job was deleted (retention) between the two statements: store these again.
        if (depth >= 2 || client)
          throw new SluiceError(ErrorCodes.conflict, 'idempotency key changed hands during enqueue; retry');
        const again = await this.store(
          vanished.map((i) => unique[i]!),
          client,
          depth + 1,
          unsent,
        );
        vanished.forEach((i, k) => {
          uniqueResults[i] = again[k];
        });
      }
    }
    return slots.map(({ unique: index, repeat }) => {
      const result = uniqueResults[index]!;
      // A repeat inside the batch matched the job its first occurrence made (or found).
      return repeat ? repeatOf(result.job, result.created ? unique[index]!.requestHash : result.requestHash) : result;
    });
  }

  async claim(params: ClaimParams): Promise<ClaimedJob[]> {
    if (params.limit <= 0 || params.queues.length === 0) return [];
    if (params.types !== undefined && params.types.length === 0) return [];
    const queues = [...new Set(params.queues)];
    const { rows } = await this.guard(() =>
      this.query<JobRow & Changed>(queues.length === 1 ? this.sql.claimOneQueue : this.sql.claim, [
        queues.length === 1 ? queues[0] : queues,
        params.types ?? null,
        params.limit,
        params.leaseMs,
        params.workerId,
        params.tenant ?? null,
      ]),
    );
    this.emitAppended(rows);
    return rows.map(rowToClaimedJob).sort(compareClaimOrder);
  }

  async claimIds(params: ClaimIdsParams): Promise<ClaimedJob[]> {
    if (params.ids.length === 0) return [];
    if (params.types !== undefined && params.types.length === 0) return [];
    const { rows } = await this.guard(() =>
      this.query<JobRow & Changed>(this.sql.claimIds, [
        [...new Set(params.ids)],
        params.types ?? null,
        params.leaseMs,
        params.workerId,
        params.tenant ?? null,
      ]),
    );
    this.emitAppended(rows);
    return rows.map(rowToClaimedJob).sort(compareClaimOrder);
  }

  async heartbeat({ leases, leaseMs }: HeartbeatParams): Promise<HeartbeatResult> {
    if (leases.length === 0) return { lost: [] };
    const { rows } = await this.guard(() =>
      this.query<{ id: string }>(this.sql.heartbeat, [leaseMs, leases.map((l) => l.id), leases.map((l) => l.leaseToken)]),
    );
    const held = new Set(rows.map((row) => row.id));
    return { lost: leases.filter((l) => !held.has(l.id)).map((l) => l.id) };
  }

  async complete({ items }: CompleteParams): Promise<SettleOutcome[]> {
    if (items.length === 0) return [];
    // Reading the finished rows back costs a JSON parse per job; only pay it when someone listens.
    const wantJobs = this.events.listenerCount('job:finished') > 0;
    const { rows } = await this.guard(() =>
      this.query<JobRow & Changed & { notified: boolean }>(wantJobs ? this.sql.completeReturning : this.sql.complete, [
        items.map((i) => i.id),
        items.map((i) => i.leaseToken),
        items.map((i) => toNullableJsonText(i.output)),
        this.channel,
        this.origin,
      ]),
    );
    const done = new Map(rows.map((row) => [row.id, row]));
    const outcomes = items.map((item): SettleOutcome => ({ id: item.id, result: done.has(item.id) ? 'ok' : 'lease_lost' }));
    this.emitAppended(rows);
    if (wantJobs) for (const row of done.values()) this.events.emit('job:finished', { job: rowToJob(row) });
    else this.events.emitEnded(done.keys());
    // Other processes were told by the statement itself, unless the message was too large for it.
    if (rows[0]?.notified === false) this.notifier.publish([...done.keys()].map((id): WireEvent => ['f', id]));
    return outcomes;
  }

  async fail({ items }: FailParams): Promise<SettleOutcome[]> {
    if (items.length === 0) return [];
    const { rows } = await this.guard(() =>
      this.query<JobRow & Changed>(this.sql.fail, [
        items.map((i) => i.id),
        items.map((i) => i.leaseToken),
        items.map((i) => i.outcome === 'retry'),
        items.map((i) => (i.outcome === 'retry' ? Math.max(0, Math.round(i.delayMs)) : 0)),
        items.map((i) => JSON.stringify(i.error)),
      ]),
    );
    const done = new Map(rows.map((row) => [row.id, row]));
    const events = new CommitEvents();
    const outcomes = items.map((item): SettleOutcome => {
      const row = done.get(item.id);
      if (!row) return { id: item.id, result: 'lease_lost' };
      events.appended(row.id, row.queue, row.event_seq).settled(row, () => rowToJob(row));
      return { id: item.id, result: 'ok' };
    });
    events.emitTo(this.events);
    this.notifier.publish(settledWire(rows));
    return outcomes;
  }

  async release({ items }: ReleaseParams): Promise<SettleOutcome[]> {
    if (items.length === 0) return [];
    const { rows } = await this.guard(() =>
      this.query<Changed>(this.sql.release, [items.map((i) => i.id), items.map((i) => i.leaseToken)]),
    );
    const done = new Map(rows.map((row) => [row.id, row]));
    const events = new CommitEvents();
    const wire: WireEvent[] = [];
    const outcomes = items.map((item): SettleOutcome => {
      const row = done.get(item.id);
      if (row === undefined) return { id: item.id, result: 'lease_lost' };
      events.appended(row.id, row.queue, row.event_seq).requeued(row.id, row.queue);
      wire.push(['r', row.id, row.queue]);
      return { id: item.id, result: 'ok' };
    });
    events.emitTo(this.events);
    this.notifier.publish(wire);
    return outcomes;
  }

  async reportProgress(params: ProgressParams): Promise<void> {
    const text = toNullableJsonText(params.progress);
    const { rows } = await this.guard(() => this.query<Changed>(this.sql.progress, [params.id, params.leaseToken, text]));
    if (rows.length === 0) throw new LeaseLostError(params.id);
    this.emitAppended(rows);
    this.events.emit('job:progress', { id: params.id, progress: params.progress });
    const inline = text === null || text.length <= MAX_INLINE_PROGRESS_BYTES;
    this.notifier.publish([inline ? ['p', params.id, params.progress] : ['p', params.id]]);
  }

  async cancel({ id, tenant }: { id: string; tenant?: string | undefined }): Promise<Job> {
    const { rows } = await this.guard(() =>
      this.query<JobRow & Changed & { prev_status: JobStatus; prev_tenant: string | null }>(this.sql.cancel, [
        id,
        tenant ?? null,
      ]),
    );
    const row = rows[0];
    if (!row || (tenant !== undefined && row.prev_tenant !== tenant)) throw new NotFoundError(`job ${id} not found`);
    if (row.id === null) {
      throw new ConflictError(`job ${id} already ${row.prev_status}; only waiting or running jobs can be cancelled`);
    }
    const job = rowToJob(row);
    const wasRunning = row.prev_status === 'running';
    new CommitEvents().appended(row.id, row.queue, row.event_seq).cancelled(job, wasRunning).emitTo(this.events);
    this.notifier.publish(
      wasRunning
        ? [
            ['c', id],
            ['f', id],
          ]
        : [['f', id]],
    );
    return job;
  }

  async get({ id, tenant }: { id: string; tenant?: string | undefined }): Promise<Job | null> {
    const { rows } = await this.guard(() => this.query<Row>(this.sql.byId, [id]));
    const row = rows[0];
    return row && (tenant === undefined || row.tenant === tenant) ? rowToJob(row, row.sluice_now) : null;
  }

  async readOutput({ id, tenant }: { id: string; tenant?: string | undefined }): Promise<StoredOutput | null> {
    const { text, values } = readOutputQuery(this.t, this.nowParam(), id);
    const { rows } = await this.guard(() => this.raw<OutputRow>(text, values));
    const row = rows[0];
    if (!row || (tenant !== undefined && row.tenant !== tenant)) return null;
    const stored: StoredOutput = { status: effectiveStatus(row, row.sluice_now) };
    if (row.output !== null) stored.outputJson = row.output;
    return stored;
  }

  async list(params: ListParams): Promise<ListResult> {
    const { text, values } = listQuery(this.t, this.nowParam(), params);
    const { rows } = await this.guard(() => this.raw<ListedRow & { sluice_now: number }>(text, values));
    const limit = Math.max(0, params.limit);
    const more = rows.length > limit;
    const jobs = (more ? rows.slice(0, limit) : rows).map((row) => rowToListedJob(row, row.sluice_now));
    const last = jobs[jobs.length - 1];
    return more && last ? { jobs, nextCursor: last.id } : { jobs };
  }

  async pauseQueue({ queue, paused }: { queue: string; paused: boolean }): Promise<void> {
    await this.guard(() => this.query(this.sql.setPaused, [queue, paused]));
    this.events.emit('queue:paused', { queue, paused });
    this.notifier.publish([['q', queue, paused]]);
  }

  async redrive(params: RedriveParams): Promise<number> {
    if (params.ids !== undefined && params.ids.length === 0) return 0;
    const { text, values } = redriveQuery(this.t, this.nowParam(), params);
    const { rows } = await this.guard(() => this.raw<Changed>(text, values));
    const events = new CommitEvents();
    for (const row of rows) events.appended(row.id, row.queue, row.event_seq);
    const perQueue = events.requeuedBatch(rows);
    events.emitTo(this.events);
    // Other processes only need the wake-up: one entry per queue, not one per job.
    this.notifier.publish([...perQueue].map(([queue, count]): WireEvent => ['e', queue, count]));
    return rows.length;
  }

  async reclaimExpired(params: { limit?: number } = {}): Promise<ReclaimResult> {
    const { rows } = await this.guard(() =>
      this.query<JobRow & Changed>(this.sql.reclaim, [params.limit ?? null, LEASE_EXPIRED_ERROR_JSON]),
    );
    const events = new CommitEvents();
    for (const row of rows) events.appended(row.id, row.queue, row.event_seq).settled(row, () => rowToJob(row));
    events.emitTo(this.events);
    this.notifier.publish(settledWire(rows));
    const requeued = rows.filter((row) => row.status === 'queued').length;
    return { requeued, failed: rows.length - requeued };
  }

  /**
   * Without a limit the rows go in batches of PURGE_BATCH, one statement each, so that every
   * statement stays within the ordinary bound however much retention has piled up.
   */
  async purgeFinished(params: PurgeParams): Promise<number> {
    const values = [params.finishedOlderThanMs, params.failedOlderThanMs ?? params.finishedOlderThanMs];
    const batch = async (limit: number) => {
      const { rows } = await this.guard(() => this.query<{ deleted: number }>(this.sql.purge, [...values, limit]));
      return rows[0]?.deleted ?? 0;
    };
    if (params.limit !== undefined) return batch(params.limit);
    let deleted = 0;
    for (let last = PURGE_BATCH; last === PURGE_BATCH; ) {
      last = await batch(PURGE_BATCH);
      deleted += last;
    }
    return deleted;
  }

  async stats(params: { queue?: string | undefined; tenant?: string | undefined } = {}): Promise<QueueStats[]> {
    const { text, values } = statsQuery(this.t, this.nowParam(), params);
    // A row without a status is a queue's pause flag.
    type StatRow = Omit<StatusCountRow, 'status'> & { status: JobStatus | null; paused: boolean | null; sluice_now: number };
    const { rows } = await this.guard(() => this.raw<StatRow>(text, values));
    const counts: StatusCountRow[] = [];
    const flags: QueueFlagRow[] = [];
    for (const row of rows) {
      if (row.status === null) flags.push({ queue: row.queue, paused: row.paused === true });
      else counts.push(row as StatusCountRow);
    }
    const now = rows[0]?.sluice_now ?? this.clock?.now() ?? Date.now();
    return assembleQueueStats({ counts, flags, now, queue: params.queue });
  }

  async jobEvents(params: JobEventsParams): Promise<JobEvent[] | null> {
    const after = Math.max(0, Math.floor(params.after ?? 0));
    const limit = Math.max(0, Math.min(Math.floor(params.limit ?? EVENT_PAGE_LIMIT), EVENT_PAGE_LIMIT));
    const { rows } = await this.guard(() =>
      this.read<{ [K in keyof EventRow]: EventRow[K] | null }>(this.sql.jobEvents, [
        params.id,
        after,
        limit,
        params.tenant ?? null,
      ]),
    );
    if (rows.length === 0) return null;
    return rows.flatMap((row) => (row.seq === null ? [] : [rowToJobEvent({ ...(row as EventRow), job_id: params.id })]));
  }

  /**
   * A page of events of ended transactions only (see sql/event-log.ts), so that a cursor never
   * passes one that commits late. When events committed beyond the horizon could have filled the
   * page, it is read again after a short pause (FEED_HELD_BACK_WAITS_MS), so that a reader woken by
   * `events:appended` finds the event although some other transaction was open at that moment.
   */
  async feed(params: FeedParams): Promise<FeedPage> {
    const after = params.after === undefined ? FEED_START : parseFeedCursor(params.after);
    const limit = Math.max(0, Math.min(Math.floor(params.limit), EVENT_PAGE_LIMIT));
    if (!(limit > 0)) {
      const { rows } = await this.guard(() => this.read<{ horizon: string }>(this.sql.feedEnd, []));
      return { events: [], cursor: formatFeedCursor({ xid: BigInt(rows[0]!.horizon), pos: 0n }) };
    }
    const values = [
      after.xid.toString(),
      after.pos.toString(),
      FEED_SCAN_LIMIT,
      limit,
      params.tenant ?? null,
      params.queue ?? null,
      params.types === undefined ? null : [...params.types],
    ];
    for (let wait = 0; ; wait++) {
      const { rows } = await this.guard(() => this.read<FeedRow>(this.sql.feed, values));
      const { page, heldBack } = feedPageFrom(rows, after, limit);
      const pause = FEED_HELD_BACK_WAITS_MS[wait];
      if (!heldBack || pause === undefined) return page;
      await sleep(pause);
    }
  }

  async appendOutput(params: AppendOutputParams): Promise<JobEvent> {
    const chunks = JSON.stringify(params.chunks);
    const { rows } = await this.guard(() =>
      this.query<Omit<EventRow, 'job_id'>>(this.sql.appendOutput, [params.id, params.leaseToken, chunks]),
    );
    const row = rows[0];
    if (!row) throw new LeaseLostError(params.id);
    const event = rowToJobEvent({ ...row, job_id: params.id });
    this.events.emit('events:appended', { id: params.id, queue: event.queue, seq: event.seq });
    return event;
  }

  // The record store (records.ts): its statements run on this handle's clock and ordinary path.
  async putRecord(params: PutRecordParams): Promise<boolean> {
    return this.recordStore.putRecord(params);
  }

  async getRecord(params: RecordKey): Promise<unknown> {
    return this.recordStore.getRecord(params);
  }

  async listRecords(params: ListRecordsParams): Promise<StoredRecord[]> {
    return this.recordStore.listRecords(params);
  }

  async deleteRecord(params: RecordKey): Promise<boolean> {
    return this.recordStore.deleteRecord(params);
  }

  async purgeExpiredRecords(params?: { limit?: number | undefined }): Promise<number> {
    return this.recordStore.purgeExpiredRecords(params);
  }

  async ping(): Promise<void> {
    await this.guard(() => this.raw('SELECT 1', []));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.notifier.close();
    await this.pool.end().catch(() => undefined);
  }

  /** Re-emits another process's events here. Finished jobs (and large progress) are read back in
   * one query, and only when someone listens. `own`: this handle's own transactional enqueue, which
   * is not remote (metrics count it here). */
  private relay(message: WireMessage, own: boolean): void {
    const finished: string[] = [];
    const progress: string[] = [];
    for (const event of message.v) {
      switch (event[0]) {
        case 'e':
          this.events.emit(
            'jobs:enqueued',
            own ? { queue: event[1], count: event[2] } : { queue: event[1], count: event[2], remote: true },
          );
          break;
        case 'r':
          this.events.emit('job:requeued', { id: event[1], queue: event[2] });
          break;
        case 'c':
          this.events.emit('job:cancelled', { id: event[1] });
          break;
        case 'q':
          this.events.emit('queue:paused', { queue: event[1], paused: event[2] });
          break;
        case 'p':
          if (event.length >= 3) this.events.emit('job:progress', { id: event[1], progress: event[2] });
          else progress.push(event[1]);
          break;
        case 'f':
          finished.push(event[1]);
          break;
        case 'a':
          if (own) this.events.emit('events:appended', { id: event[1], queue: event[2], seq: event[3] });
          break;
      }
    }
    // Rows are read back only for listeners that take relayed jobs; the rest hear the ids.
    if (finished.length > 0 && this.events.remoteListenerCount('job:finished') > 0) {
      void this.readJobs(finished).then((jobs) => {
        for (const job of jobs) if (job.finishedAt !== undefined) this.events.emit('job:finished', { job, remote: true });
      });
    } else if (finished.length > 0) {
      this.events.emitEnded(finished, true);
    }
    if (progress.length > 0 && this.events.listenerCount('job:progress') > 0) {
      void this.readJobs(progress).then((jobs) => {
        for (const job of jobs) this.events.emit('job:progress', { id: job.id, progress: job.progress });
      });
    }
  }

  /** Jobs by id, in the given order; missing ones (purged) are skipped; errors read as none. */
  private async readJobs(ids: string[]): Promise<Job[]> {
    if (this.closed) return [];
    try {
      const { rows } = await this.query<Row>(this.sql.byIds, [ids]);
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.flatMap((id) => {
        const row = byId.get(id);
        return row ? [rowToJob(row, row.sluice_now)] : [];
      });
    } catch {
      return []; // a lost event costs latency only: waitFor and long-polls have their timeouts
    }
  }

  /**
   * Reads, applies (core policy) and writes one scope's budget in one transaction. The row is
   * created first (ON CONFLICT DO NOTHING) so that FOR UPDATE always has a row to lock: concurrent
   * workers on one scope queue up on it. Time is the database's unless a clock is injected.
   */
  async updateRateBudget({ scope, action }: UpdateRateBudgetParams): Promise<RateBudgetResult> {
    return this.guard(async () => {
      const client = await this.pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(this.ledger.rateBudgetEnsure, [this.nowParam(), scope]);
        const { rows } = await client.query<{ state: RateBudgetState | string | null; now: string | number }>(
          this.ledger.rateBudgetLock,
          [this.nowParam(), scope],
        );
        const row = rows[0];
        const now = Number(row?.now ?? Date.now());
        // Our pool leaves json columns as text (parsed where needed); 'null' is a row not yet used.
        const stored = typeof row?.state === 'string' ? (JSON.parse(row.state) as RateBudgetState | null) : (row?.state ?? null);
        const { state, result } = applyRateBudget(stored ?? undefined, action, now);
        await client.query(this.ledger.rateBudgetWrite, [scope, now, JSON.stringify(state)]);
        await client.query('COMMIT');
        client.release();
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        client.release(true);
        throw error;
      }
    });
  }

  /** Appends usage entries in one INSERT (arrays joined with unnest); `at` defaults to the database's clock. */
  async recordUsage({ entries }: RecordUsageParams): Promise<void> {
    if (entries.length === 0) return;
    const { text, values } = recordUsageQuery(this.t, this.nowParam(), entries);
    await this.guard(() => this.raw(text, values));
  }

  /** Sums usage in SQL, grouped by (queue, tenant, provider, model); core folds the groups. */
  async usage(params: UsageParams): Promise<UsageTotals> {
    const { text, values } = usageQuery(this.t, params);
    const { rows } = await this.guard(() => this.raw<UsageGroup>(text, values));
    return usageTotalsFromGroups(rows, params);
  }

  /** `events:appended` for each row a committed write changed. */
  private emitAppended(rows: readonly Changed[]): void {
    for (const row of rows) this.events.emit('events:appended', { id: row.id, queue: row.queue, seq: row.event_seq });
  }

  /** Runs a named statement that takes no clock (the event log's reads) on the pool. */
  private read<R extends pg.QueryResultRow = pg.QueryResultRow>(
    statement: Statement,
    values: unknown[],
  ): Promise<pg.QueryResult<R>> {
    return this.pool.query<R>({ name: statement.name, text: statement.text, values });
  }

  /** `$1` of every statement: the injected clock, or NULL for the database's clock. */
  private nowParam(): number | null {
    return this.clock ? this.clock.now() : null;
  }

  /** Runs a named statement with `$1` = now and `values` as `$2…`, on the pool or the caller's client. */
  private query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    statement: Statement,
    values: unknown[],
    client?: Queryable,
  ): Promise<pg.QueryResult<R>> {
    const config: pg.QueryConfig = { name: statement.name, text: statement.text, values: [this.nowParam(), ...values] };
    // The caller's client has its own type parsers: ours go with the query.
    if (client) return client.query<R>({ ...config, types: PG_TYPES });
    return this.pool.query<R>(config);
  }

  /** Runs an unnamed statement on the pool (shapes that vary per call). */
  private raw<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    return this.pool.query<R>(text, values);
  }

  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw closedError();
    try {
      return await fn();
    } catch (error) {
      throw translateError(error);
    }
  }
}

/** Opens the PostgreSQL backend (see PostgresBackendOptions). */
export async function openPostgresBackend(options: PostgresBackendOptions): Promise<Backend> {
  return PostgresBackend.open(options);
}

/** What other processes hear of rows a write moved on its own decision: ended, or back to waiting. */
function settledWire(rows: readonly JobRow[]): WireEvent[] {
  return rows.map((row): WireEvent => (isTerminal(row.status as JobStatus) ? ['f', row.id] : ['r', row.id, row.queue]));
}

/** The created jobs' `events:appended`: seq 1 (`job.created`), or 2 when `job.scheduled` followed. */
function appendedWire(results: EnqueueResult[]): Array<['a', string, string, number]> {
  return results.flatMap(
    ({ job, created }): Array<['a', string, string, number]> =>
      created ? [['a', job.id, job.queue, job.status === 'scheduled' ? 2 : 1]] : [],
  );
}

/** One `jobs:enqueued` wire entry per queue, counting the jobs actually created. */
function enqueuedWire(results: EnqueueResult[]): Array<['e', string, number]> {
  const created = new Map<string, number>();
  for (const result of results) if (result.created) created.set(result.job.queue, (created.get(result.job.queue) ?? 0) + 1);
  return [...created].map(([queue, count]) => ['e', queue, count]);
}

function keyOf(queue: string, tenant: string, key: string): string {
  return `${queue}\u0000${tenant}\u0000${key}`;
}

/** The caller's transaction handle: anything with pg's `query` (PoolClient, Client). */
function asQueryable(connection: unknown): Queryable {
  if (typeof connection === 'object' && connection !== null && typeof (connection as { query?: unknown }).query === 'function') {
    return connection as Queryable;
  }
  throw new ValidationError('connection must be a pg PoolClient or Client inside an open transaction', 'connection');
}
