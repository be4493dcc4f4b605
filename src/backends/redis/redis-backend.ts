import { randomUUID } from 'node:crypto';
import { type ChainableCommander, Cluster } from 'ioredis';
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
import { repeatOf } from '../../core/enqueue-repeat.js';
import { ConflictError, ErrorCodes, LeaseLostError, NotFoundError, SluiceError, ValidationError } from '../../core/errors.js';
import { SluiceEvents } from '../../core/events.js';
import { groupBy } from '../../core/group-by.js';
import { idempotencyMismatchError, mismatchField } from '../../core/idempotency-mismatch.js';
import {
  type ClaimedJob,
  compareClaimOrder,
  emptyCounts,
  type Job,
  type JobError,
  type JobStatus,
  type QueueStats,
} from '../../core/job.js';
import { includes } from '../../core/listed-job.js';
import type { NewJob } from '../../core/new-job.js';
import { EVENT_PAGE_LIMIT } from '../../core/ports/event-log.js';
import type { RateBudgetResult } from '../../core/rate-budget.js';
import {
  type RecordUsageParams,
  type UsageEntry,
  type UsageGroup,
  type UsageParams,
  type UsageTotals,
  usageTotalsFromGroups,
} from '../../core/usage.js';
import { checkRedisConfig, isClusterMode } from './config-check.js';
import { connect, dataNodes, parseRedisUrl, type RedisClient, resolvePrefix } from './connection.js';
import { startEventRelay } from './event-relay.js';
import { encodeFeedCursor, parseFeedCursor } from './feed-cursor.js';
import { mergeFeed, type QueueRead, type StreamEvent } from './feed-merge.js';
import { reserveFeedOrder } from './feed-order.js';
import { checkQueueName, RedisKeys } from './keys.js';
import { MAX_JOBS_PER_CLAIM_TOKEN, newLeaseToken, queueOfToken } from './lease-token.js';
import { ENQUEUE_CHECK_ARITY, type ScriptName } from './lua.js';
import { RedisRecords } from './redis-records.js';
import {
  insertedJob,
  type JobRow,
  jsonArg,
  optArg,
  pushEnqueueArgs,
  requestHashOf,
  rowExists,
  rowToClaimedJob,
  rowToJob,
  rowToListedJob,
  seqAfterRow,
  toJobEvent,
} from './row-mapping.js';
import { clearStaleSocketTimers } from './stale-socket-timer.js';
import { closedError, translateError } from './translate-error.js';

/** Options of the Redis adapter. */
export interface RedisBackendOptions {
  /**
   * `redis://[user:pass@]host:port[/db][?prefix=NAME]` (or `rediss://`); Redis Cluster:
   * `redis://host:port[,host:port…]?cluster=1[&prefix=NAME]` (see docs/redis.md).
   */
  url: string;
  /** Time source for runAt, leases and retention (tests). Default: the Redis server's clock (TIME). */
  clock?: Clock | undefined;
  /** Key prefix; default the URL's `?prefix=`, else `sluice`. */
  prefix?: string | undefined;
  /** Largest output a job may store, in bytes of JSON. Bigger outputs fail the job permanently. Default 1 MiB. */
  maxOutputBytes?: number | undefined;
  /** Where start-up warnings go (Redis persistence settings). Default: process.emitWarning. */
  warn?: ((message: string) => void) | undefined;
  /** Check `appendonly` and `maxmemory-policy` at start. Default true. */
  checkConfig?: boolean | undefined;
}

export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;

/** Most ids one script call handles in the open-ended sweeps (reclaim, purge, redrive): bounds how long Redis is busy. */
const CHUNK = 1000;
/** Ids one list call examines per queue before it returns a partial page with a cursor. */
const LIST_SCAN_BUDGET = 2000;
/** Usage entries read per ZRANGEBYSCORE call when summing a time range. */
const USAGE_PAGE = 5000;
/** Feed entries one queue's feed read examines at most (filtered reads stop there, cursor moved). */
const FEED_SCAN_BUDGET = 2000;
/** Rounds of queue reads one feed page makes at most (feed-merge.ts). */
const FEED_MAX_ROUNDS = 8;
/** Feed entries a purge examines at most per queue when it trims the feed's head. */
const FEED_TRIM_BUDGET = 10_000;

const LEASE_EXPIRED_ERROR: JobError = {
  code: ErrorCodes.leaseExpired,
  message: 'the lease expired before the attempt finished (worker crashed, stalled or lost contact)',
};

type ScriptArg = string | number;
type ScriptFn = (key: string, ...args: ScriptArg[]) => Promise<unknown>;
type QueuedScriptFn = (key: string, ...args: ScriptArg[]) => ChainableCommander;

/**
 * The Backend port on Redis (ioredis, Lua). Each state change is one script on one queue's keys
 * (one hash tag: one Cluster slot), so it is atomic, and a batch of claims or settlements is one
 * script call per queue, all queues of a call in one round trip. Lease expiry and runAt use the
 * Redis server's clock (or the injected one), never the worker machine's. Key layout: keys.ts;
 * scripts: lua/ (one .lua file each, loaded by lua.ts); durability and Cluster notes: docs/redis.md.
 */
export class RedisBackend implements Backend {
  readonly name = 'redis';
  readonly capabilities: BackendCapabilities = {
    crossProcessEvents: true,
    multiMachine: true,
    claimById: true,
    rateBudgets: true,
    usage: true,
    outputText: true,
    tenantClaims: true,
    eventLog: true,
    records: true,
  };
  readonly events = new SluiceEvents();

  readonly keys: RedisKeys;
  private readonly redis: RedisClient;
  /** Redis Cluster: commands over several slots go one per slot (auto-pipelined per node), never in one MULTI. */
  private readonly cluster: boolean;
  private readonly clock: Clock | undefined;
  private readonly maxOutputBytes: number;
  /** The record store role (redis-records.ts): one hash per namespace. */
  private readonly records: RedisRecords;
  /** This handle's id in published events: its own messages are not relayed back to it. */
  private readonly origin = randomUUID();
  /** The pub/sub connection (see startRelay), and how to stop it once it listens. */
  private subscriber: RedisClient | undefined;
  private stopRelay: (() => Promise<void>) | undefined;
  private closed = false;

  private constructor(redis: RedisClient, keys: RedisKeys, options: RedisBackendOptions) {
    this.redis = redis;
    this.cluster = redis instanceof Cluster;
    this.keys = keys;
    this.clock = options.clock;
    this.maxOutputBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    this.records = new RedisRecords(redis, keys, options.clock, (fn) => this.guard(fn));
  }

  /** Connects, checks the server's persistence settings, and subscribes to other handles' events. */
  static async open(options: RedisBackendOptions): Promise<RedisBackend> {
    const parsed = parseRedisUrl(options.url);
    const keys = new RedisKeys(resolvePrefix(options.prefix, parsed.prefix));
    const redis = await connect(parsed);
    const backend = new RedisBackend(redis, keys, options);
    try {
      if (!backend.cluster && (await isClusterMode(redis)) === true) {
        throw new SluiceError(
          ErrorCodes.config,
          'this Redis server runs in cluster mode: add ?cluster=1 to the URL (docs/redis.md, "Redis Cluster")',
          { field: 'SLUICE_BACKEND' },
        );
      }
      if (options.checkConfig ?? true) {
        const warn = options.warn ?? ((message: string) => process.emitWarning(message, { code: 'SLUICE_REDIS_CONFIG' }));
        // On a Cluster every master holds jobs: each one must keep them.
        const nodes = dataNodes(redis);
        for (const node of nodes) {
          const where = nodes.length > 1 ? `${node.options.host}:${node.options.port}: ` : '';
          for (const warning of await checkRedisConfig(node)) warn(`${where}${warning}`);
        }
      }
      // Subscribed only once this handle has a listener for other handles' changes (a worker, a
      // waiter): every message of the prefix reaches every subscriber, its own included, and
      // receiving its own wake-ups cost a handle that only enqueues 7 µs of CPU per one-by-one
      // enqueue (52-55 µs -> 44-48 µs, docs/benchmarks.md entry 14).
      backend.events.relayOnDemand(() => backend.startRelay());
    } catch (error) {
      await backend.close();
      throw translateError(error);
    }
    return backend;
  }

  async enqueue({ jobs, connection, mismatch }: EnqueueParams): Promise<EnqueueResult[]> {
    if (connection !== undefined) {
      throw new ValidationError('the Redis backend cannot enqueue inside a caller transaction (use PostgreSQL)', 'connection');
    }
    if (jobs.length === 0) return [];
    const byQueue = groupBy(jobs, (job) => job.queue);
    // Refusing a batch for a reused key: each script checks the keys it can reach before it writes.
    const checks = mismatch === 'reject' ? this.idempotencyChecks(jobs) : new Map<string, string[]>();
    const allChecks = [...checks.values()].flat();
    const calls: Array<readonly [ScriptName, string, ScriptArg[]]> = [];
    /** Per queue, its jobs' input texts (the answers are built from them without a read-back). */
    const inputTexts: string[][] = [];
    const orderOf = feedOrders(jobs, byQueue.size);
    for (const [queue, group] of byQueue) {
      checkQueueName(queue);
      // A single node: every queue's script checks every queue's keys. A Cluster: its own only.
      const own = this.cluster ? (checks.get(queue) ?? []) : allChecks;
      const args: string[] = [String(group.length), String(own.length / ENQUEUE_CHECK_ARITY), ...own];
      const texts: string[] = [];
      for (const job of group) texts.push(pushEnqueueArgs(args, job, orderOf(job)));
      // A single node: each queue's script also writes the global indexes of the jobs it creates (no
      // entry for an idempotent repeat). A Cluster keeps them in other slots, which no script may touch.
      if (!this.cluster) {
        args.push(this.keys.queues);
        for (const job of group) args.push(this.keys.idShard(job.id));
      }
      calls.push(['sluiceEnqueue', queue, args]);
      inputTexts.push(texts);
    }
    const scriptReplies = (await this.guard(async () => {
      if (this.cluster) {
        // A batch over several queues is checked whole before any of it is written (a read; a key
        // taken between this check and the writes still refuses only its own queue's part).
        if (byQueue.size > 1 && checks.size > 0) {
          const verdicts = await Promise.all(
            [...checks].map(([queue, own]) =>
              this.script('sluiceEnqueue', queue, '0', String(own.length / ENQUEUE_CHECK_ARITY), ...own),
            ),
          );
          for (const verdict of verdicts) throwOnMismatch(jobs, verdict as unknown[]);
        }
        // The indexes are written (idempotently) and acknowledged before any job: a crash can leave
        // an index entry without a job (harmless, it reads as not found), never a job that no index
        // leads to. Then one script per queue: each queue's part of the batch is atomic, the batch as
        // a whole is not.
        const shards = groupBy(jobs, (job) => this.keys.idShard(job.id));
        await Promise.all([
          this.redis.sadd(this.keys.queues, ...byQueue.keys()),
          ...[...shards].map(([shard, fields]) =>
            this.redis.hset(shard, Object.fromEntries(fields.map((job) => [job.id, job.queue]))),
          ),
        ]);
      }
      // One script per queue; on a single node a batch spanning queues is one MULTI, applied at once.
      return this.pipeline(calls, { atomic: true });
    })) as unknown[][];
    const results = new Map<NewJob, EnqueueResult>();
    const orphaned: NewJob[] = [];
    let refused: unknown[] | undefined;
    let q = 0;
    for (const [queue, group] of byQueue) {
      const texts = inputTexts[q]!;
      const reply = scriptReplies[q++]!;
      if (isMismatchReply(reply)) {
        refused = reply;
        orphaned.push(...group);
        continue;
      }
      const now = Number(reply[0]);
      let created = 0;
      for (let i = 0; i < group.length; i++) {
        const job = group[i]!;
        const entry = reply[i + 1];
        if (Array.isArray(entry)) {
          results.set(job, repeatOf(rowToJob(entry as JobRow, now), requestHashOf(entry as JobRow)));
          orphaned.push(job);
        } else {
          results.set(job, { job: insertedJob(job, now, texts[i]!), created: true });
          created++;
          // 0: a resent call found the job stored (and logged) already.
          if (Number(entry) > 0) this.events.emit('events:appended', { id: job.id, queue, seq: Number(entry) });
        }
      }
      if (created > 0) this.events.emit('jobs:enqueued', { queue, count: created });
    }
    // An idempotent repeat (or a refused queue) stored nothing: on a Cluster, drop the id index
    // entries written beforehand for its unused ids (a single node's script wrote none).
    if (this.cluster && orphaned.length > 0) await this.dropIdIndex(orphaned.map((job) => job.id)).catch(() => undefined);
    if (refused) throwOnMismatch(jobs, refused);
    return jobs.map((job) => results.get(job)!);
  }

  /** Per queue, the enqueue script's checks of the batch's keyed jobs (see lua/enqueue.lua). */
  private idempotencyChecks(jobs: readonly NewJob[]): Map<string, string[]> {
    const checks = new Map<string, string[]>();
    jobs.forEach((job, index) => {
      if (job.idempotencyKey === undefined) return;
      const own = checks.get(job.queue) ?? [];
      checks.set(job.queue, own);
      own.push(
        String(index),
        this.keys.base(job.queue),
        `${job.tenant ?? ''}\u0000${job.idempotencyKey}`,
        optArg(job.requestHash),
      );
    });
    return checks;
  }

  async claim(params: ClaimParams): Promise<ClaimedJob[]> {
    if (params.limit <= 0 || params.queues.length === 0) return [];
    if (params.types !== undefined && params.types.length === 0) return [];
    const queues = [...new Set(params.queues)];
    for (const queue of queues) checkQueueName(queue, 'queues');
    const filterArgs = [optArg(params.tenant), ...typeFilterArgs(params.types)];
    const claimArgs = (queue: string, limit: number): ScriptArg[] => [
      'claim',
      Math.min(limit, MAX_JOBS_PER_CLAIM_TOKEN),
      params.leaseMs,
      params.workerId,
      ...filterArgs,
      newLeaseToken(queue),
    ];
    return this.guard(async () => {
      if (queues.length === 1) {
        const queue = queues[0]!;
        const reply = (await this.script('sluiceClaim', queue, ...claimArgs(queue, params.limit))) as [number, JobRow[]];
        return this.leased(reply[1]);
      }
      // Several queues live in several slots: peek at each queue's best candidates, merge them in one
      // priority order, then claim from each queue as many as the merge gave it.
      const peeks = await this.pipeline(
        queues.map((queue) => ['sluiceClaim', queue, ['peek', params.limit, params.leaseMs, params.workerId, ...filterArgs]]),
      );
      const candidates: Array<{ score: number; id: string; queue: string }> = [];
      peeks.forEach((reply, i) => {
        const flat = (reply as [number, Array<string | number>])[1];
        for (let j = 0; j < flat.length; j += 2)
          candidates.push({ score: Number(flat[j]), id: String(flat[j + 1]), queue: queues[i]! });
      });
      candidates.sort((a, b) => a.score - b.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const share = new Map<string, number>();
      for (const c of candidates.slice(0, params.limit)) share.set(c.queue, (share.get(c.queue) ?? 0) + 1);
      if (share.size === 0) return [];
      const replies = await this.pipeline(
        [...share].map(([queue, limit]) => ['sluiceClaim', queue, claimArgs(queue, limit)] as const),
      );
      const jobs = this.leased(replies.flatMap((reply) => (reply as [number, JobRow[]])[1]));
      jobs.sort(compareClaimOrder);
      return jobs;
    });
  }

  /** The jobs of a claim's rows (each followed by the seq of its job.started), told as appended. */
  private leased(rows: JobRow[]): ClaimedJob[] {
    return rows.map((row) => {
      const job = rowToClaimedJob(row);
      this.events.emit('events:appended', { id: job.id, queue: job.queue, seq: seqAfterRow(row) });
      return job;
    });
  }

  /**
   * Leases exactly the listed jobs that are claimable now. The id index gives each id's queue; then
   * one script per queue (atomic there), all queues in one round trip. Unknown ids are skipped.
   */
  async claimIds(params: ClaimIdsParams): Promise<ClaimedJob[]> {
    if (params.ids.length === 0) return [];
    if (params.types !== undefined && params.types.length === 0) return [];
    const ids = [...new Set(params.ids)];
    const filterArgs = [optArg(params.tenant), ...typeFilterArgs(params.types)];
    return this.guard(async () => {
      const queues = await this.queuesOf(ids);
      const byQueue = new Map<string, string[]>();
      ids.forEach((id, i) => {
        const queue = queues[i];
        if (queue === undefined) return;
        const group = byQueue.get(queue);
        if (group) group.push(id);
        else byQueue.set(queue, [id]);
      });
      if (byQueue.size === 0) return [];
      const replies = await this.pipeline(
        [...byQueue].map(
          ([queue, group]) =>
            [
              'sluiceClaimIds',
              queue,
              [params.leaseMs, params.workerId, ...filterArgs, ...group.flatMap((id) => [id, newLeaseToken(queue)])],
            ] as const,
        ),
      );
      const jobs = this.leased(replies.flatMap((reply) => (reply as [number, JobRow[]])[1]));
      jobs.sort(compareClaimOrder);
      return jobs;
    });
  }

  /**
   * Applies a rate-budget action to one scope in one script (the policy of core/rate-budget.ts,
   * ported to Lua), on the scope's own key, with the Redis server's clock unless one is injected.
   */
  async updateRateBudget({ scope, action }: UpdateRateBudgetParams): Promise<RateBudgetResult> {
    const fn = (this.redis as unknown as Record<ScriptName, ScriptFn>).sluiceRateBudget;
    const reply = (await this.guard(() =>
      fn.call(this.redis, this.keys.rateBudget(scope), this.clock === undefined ? '' : this.clock.now(), JSON.stringify(action)),
    )) as [number, string, string, string];
    return {
      granted: Number(reply[0]) === 1,
      waitMs: Number(reply[1]),
      factor: Number(reply[2]),
      blockedUntil: Number(reply[3]),
    };
  }

  /**
   * Appends usage entries to the usage log in one script call (one key, its own slot). Entries without
   * `at` are stamped with the Redis server's clock (TIME) unless a clock is injected.
   */
  async recordUsage({ entries }: RecordUsageParams): Promise<void> {
    if (entries.length === 0) return;
    const fn = (this.redis as unknown as Record<ScriptName, ScriptFn>).sluiceUsageRecord;
    const args: ScriptArg[] = [this.clock === undefined ? '' : this.clock.now()];
    for (const entry of entries) args.push(entry.at === undefined ? '' : entry.at, usageMember(entry));
    await this.guard(() => fn.call(this.redis, this.keys.usage, ...args));
  }

  /**
   * Sums the usage entries of [since, until): reads the range of the log in pages of USAGE_PAGE and
   * groups them by (queue, tenant, provider, model) here; core folds the groups. O(entries in range).
   */
  async usage(params: UsageParams): Promise<UsageTotals> {
    const groups = new Map<string, UsageGroup>();
    const max = params.until === undefined ? '+inf' : `(${params.until}`;
    let min: string = params.since === undefined ? '-inf' : String(params.since);
    // Continuation: the next page starts at the last score read, skipping the members of that score
    // already read (the log is append-only; an entry added at that score meanwhile is only re-read, never summed twice).
    let lastScore: string | undefined;
    let lastMember = '';
    let seenAtLast = 0;
    await this.guard(async () => {
      for (;;) {
        const flat = await this.redis.zrangebyscore(this.keys.usage, min, max, 'WITHSCORES', 'LIMIT', seenAtLast, USAGE_PAGE);
        for (let i = 0; i < flat.length; i += 2) {
          const member = flat[i]!;
          const score = flat[i + 1]!;
          if (score === lastScore && member <= lastMember) continue;
          if (score === lastScore) seenAtLast++;
          else {
            lastScore = score;
            seenAtLast = 1;
          }
          lastMember = member;
          addUsage(groups, member, params);
        }
        if (flat.length < USAGE_PAGE * 2 || lastScore === undefined) break;
        min = lastScore;
      }
    });
    return usageTotalsFromGroups([...groups.values()], params);
  }

  putRecord(params: PutRecordParams): Promise<boolean> {
    return this.records.putRecord(params);
  }

  getRecord(params: RecordKey): Promise<unknown> {
    return this.records.getRecord(params);
  }

  listRecords(params: ListRecordsParams): Promise<StoredRecord[]> {
    return this.records.listRecords(params);
  }

  deleteRecord(params: RecordKey): Promise<boolean> {
    return this.records.deleteRecord(params);
  }

  purgeExpiredRecords(): Promise<number> {
    return this.records.purgeExpiredRecords();
  }

  async heartbeat({ leases, leaseMs }: HeartbeatParams): Promise<HeartbeatResult> {
    if (leases.length === 0) return { lost: [] };
    const { byQueue, foreign } = groupLeases(leases);
    const replies = await this.guard(() =>
      this.pipeline([...byQueue].map(([queue, items]) => ['sluiceHeartbeat', queue, [leaseMs, ...items.flatMap(leaseArgs)]])),
    );
    const lost = new Set<string>(foreign.map((lease) => lease.id));
    for (const reply of replies) for (const id of reply as string[]) lost.add(id);
    return { lost: leases.filter((lease) => lost.has(lease.id)).map((lease) => lease.id) };
  }

  async complete({ items }: CompleteParams): Promise<SettleOutcome[]> {
    if (items.length === 0) return [];
    // Reading finished jobs back costs a transfer per job; only pay it when someone listens.
    const wantRows = this.events.listenerCount('job:finished') > 0;
    const { byQueue } = groupLeases(items);
    // Outputs over the size limit end their job failed instead: the outcome says so.
    const tooLarge = new Map<string, JobError>();
    const replies = await this.guard(() =>
      this.pipeline(
        [...byQueue].map(([queue, group]) => [
          'sluiceComplete',
          queue,
          [
            wantRows ? '1' : '0',
            ...group.flatMap((item) => {
              // 's' stores the output; 'x' ends the job failed with the error instead.
              const text = jsonArg(item.output);
              const error = this.outputTooLarge(text);
              if (error === undefined) return [item.id, item.leaseToken, 's', text];
              tooLarge.set(item.id, error);
              return [item.id, item.leaseToken, 'x', JSON.stringify(error)];
            }),
          ],
        ]),
      ),
    );
    const written = new Set<string>();
    const finished: Job[] = [];
    [...byQueue].forEach(([queue, group], i) => {
      const reply = replies[i] as unknown[];
      group.forEach((item, j) => {
        const entry = reply[j + 1];
        if (entry === 0) return;
        written.add(item.id);
        // The seq of the event it logged, or (rows wanted) the row followed by it.
        const seq = Array.isArray(entry) ? seqAfterRow(entry as JobRow) : Number(entry);
        this.events.emit('events:appended', { id: item.id, queue, seq });
        if (Array.isArray(entry)) finished.push(rowToJob(entry as JobRow));
      });
    });
    for (const job of finished) this.events.emit('job:finished', { job });
    if (!wantRows) this.events.emitEnded(written);
    return items.map((item): SettleOutcome => {
      if (!written.has(item.id)) return { id: item.id, result: 'lease_lost' };
      const error = tooLarge.get(item.id);
      return error === undefined ? { id: item.id, result: 'ok' } : { id: item.id, result: 'failed', error };
    });
  }

  async fail({ items }: FailParams): Promise<SettleOutcome[]> {
    if (items.length === 0) return [];
    const { byQueue } = groupLeases(items);
    const replies = await this.guard(() =>
      this.pipeline(
        [...byQueue].map(([queue, group]) => [
          'sluiceFail',
          queue,
          group.flatMap((item) => [
            item.id,
            item.leaseToken,
            item.outcome === 'retry' ? 'r' : 'f',
            item.outcome === 'retry' ? Math.max(0, item.delayMs) : 0,
            JSON.stringify(item.error),
          ]),
        ]),
      ),
    );
    const ok = new Set<string>();
    const emits: Array<() => void> = [];
    [...byQueue].forEach(([queue, group], i) => {
      const reply = replies[i] as unknown[];
      group.forEach((item, j) => {
        const entry = reply[j + 1];
        if (entry === 0) return;
        ok.add(item.id);
        // A retry answers the seq of its job.retrying; a final failure the row followed by its seq.
        const seq = Array.isArray(entry) ? seqAfterRow(entry as JobRow) : Number(entry);
        emits.push(() => this.events.emit('events:appended', { id: item.id, queue, seq }));
        if (Array.isArray(entry)) {
          const job = rowToJob(entry as JobRow);
          emits.push(() => this.events.emit('job:finished', { job }));
        } else {
          emits.push(() => this.events.emit('job:requeued', { id: item.id, queue }));
        }
      });
    });
    for (const emit of emits) emit();
    return items.map((item) => ({ id: item.id, result: ok.has(item.id) ? 'ok' : 'lease_lost' }));
  }

  async release({ items }: ReleaseParams): Promise<SettleOutcome[]> {
    if (items.length === 0) return [];
    const { byQueue } = groupLeases(items);
    const replies = await this.guard(() =>
      this.pipeline([...byQueue].map(([queue, group]) => ['sluiceRelease', queue, group.flatMap(leaseArgs)])),
    );
    const requeued: Array<{ id: string; queue: string; seq: number }> = [];
    [...byQueue].forEach(([queue, group], i) => {
      const reply = replies[i] as number[];
      group.forEach((item, j) => {
        // The seq of its job.released, or 0: lease lost.
        if (Number(reply[j]) > 0) requeued.push({ id: item.id, queue, seq: Number(reply[j]) });
      });
    });
    for (const { id, queue, seq } of requeued) {
      this.events.emit('events:appended', { id, queue, seq });
      this.events.emit('job:requeued', { id, queue });
    }
    const ok = new Set(requeued.map((r) => r.id));
    return items.map((item) => ({ id: item.id, result: ok.has(item.id) ? 'ok' : 'lease_lost' }));
  }

  async reportProgress(params: ProgressParams): Promise<void> {
    const queue = queueOfToken(params.leaseToken);
    if (queue === undefined) throw new LeaseLostError(params.id);
    // The seq of its job.progress, or 0: lease lost.
    const seq = Number(
      await this.guard(() => this.script('sluiceProgress', queue, params.id, params.leaseToken, jsonArg(params.progress))),
    );
    if (!(seq > 0)) throw new LeaseLostError(params.id);
    this.events.emit('events:appended', { id: params.id, queue, seq });
    this.events.emit('job:progress', { id: params.id, progress: params.progress });
  }

  async cancel({ id, tenant }: { id: string; tenant?: string | undefined }): Promise<Job> {
    const notFound = () => new NotFoundError(`job ${id} not found`);
    const queue = await this.queueOf(id);
    if (queue === undefined) throw notFound();
    const reply = (await this.guard(() => this.script('sluiceCancel', queue, id, optArg(tenant)))) as [
      string,
      string?,
      JobRow?,
      number?,
    ];
    if (reply[0] === 'nf') throw notFound();
    if (reply[0] === 'conflict') {
      throw new ConflictError(`job ${id} already ${reply[1]}; only waiting or running jobs can be cancelled`);
    }
    const job = rowToJob(reply[2]!);
    this.events.emit('events:appended', { id, queue, seq: Number(reply[3]) });
    if (reply[1] === 'running') this.events.emit('job:cancelled', { id });
    this.events.emit('job:finished', { job });
    return job;
  }

  async get({ id, tenant }: { id: string; tenant?: string | undefined }): Promise<Job | null> {
    const queue = await this.queueOf(id);
    if (queue === undefined) return null;
    const reply = (await this.guard(() => this.script('sluiceFetch', queue, id))) as [number, JobRow[]];
    const row = reply[1][0];
    if (!rowExists(row)) return null;
    const job = rowToJob(row, Number(reply[0]));
    return tenant === undefined || job.tenant === tenant ? job : null;
  }

  async readOutput({ id, tenant }: { id: string; tenant?: string | undefined }): Promise<StoredOutput | null> {
    const queue = await this.queueOf(id);
    if (queue === undefined) return null;
    const [status, jobTenant, output] = await this.guard(() => this.redis.hmget(this.keys.job(queue, id), 'st', 'ten', 'out'));
    if (!status || (tenant !== undefined && jobTenant !== tenant)) return null;
    const stored: StoredOutput = { status: status as JobStatus };
    if (output !== null && output !== undefined) stored.outputJson = output;
    return stored;
  }

  async list(params: ListParams): Promise<ListResult> {
    const limit = Math.max(0, params.limit);
    const queues = params.queue === undefined ? await this.knownQueues() : [params.queue];
    if (queues.length === 0) return { jobs: [] };
    const replies = await this.guard(() =>
      this.pipeline(
        queues.map((queue) => [
          'sluiceList',
          queue,
          [
            params.cursor ?? '',
            limit + 1,
            LIST_SCAN_BUDGET,
            params.status ?? '',
            optArg(params.type),
            optArg(params.tenant),
            (includes(params.include, 'input') ? 'i' : '') + (includes(params.include, 'output') ? 'o' : ''),
          ],
        ]),
      ),
    );
    // Each queue answered newest-first down to its `want` matches, or down to a boundary id where
    // its scan budget ran out. Below the highest boundary some queue's answer is incomplete, so the
    // page stops there and the cursor resumes from it.
    let now = 0;
    let boundary: string | undefined;
    const rows: Array<{ id: string; row: JobRow }> = [];
    for (const reply of replies) {
      const [replyNow, cut, found] = reply as [number, string | null, JobRow[]];
      now = Number(replyNow);
      if (cut !== null && (boundary === undefined || cut > boundary)) boundary = cut;
      for (const row of found) rows.push({ id: row[0]!, row });
    }
    rows.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    const complete = boundary === undefined ? rows : rows.filter((r) => r.id >= boundary);
    const page = complete.slice(0, limit).map((r) => rowToListedJob(r.row, now));
    const last = page[page.length - 1];
    if (complete.length > limit && last) return { jobs: page, nextCursor: last.id };
    if (boundary !== undefined) return { jobs: page, nextCursor: boundary };
    return { jobs: page };
  }

  async pauseQueue({ queue, paused }: { queue: string; paused: boolean }): Promise<void> {
    checkQueueName(queue);
    await this.guard(async () => {
      await this.redis.sadd(this.keys.queues, queue);
      await this.script('sluicePause', queue, paused ? '1' : '0');
    });
    this.events.emit('queue:paused', { queue, paused });
  }

  async redrive(params: RedriveParams): Promise<number> {
    let left = params.limit ?? Number.POSITIVE_INFINITY;
    const moved: Array<{ id: string; queue: string; seq: number }> = [];
    const filters = [
      optArg(params.type),
      optArg(params.tenant),
      params.maxAttempts === undefined ? '' : String(params.maxAttempts),
      params.timeoutMs === undefined ? '' : String(params.timeoutMs),
    ];
    await this.guard(async () => {
      if (params.ids !== undefined) {
        const byQueue = new Map<string, string[]>();
        const queues = await this.queuesOf(params.ids!);
        params.ids!.forEach((id, i) => {
          const queue = queues[i];
          if (queue === undefined || (params.queue !== undefined && queue !== params.queue)) return;
          byQueue.set(queue, [...(byQueue.get(queue) ?? []), id]);
        });
        for (const [queue, ids] of byQueue) {
          if (left <= 0) break;
          const [ids2, , seqs] = (await this.script(
            'sluiceRedrive',
            queue,
            'ids',
            Math.min(left, 1e9),
            0,
            ...filters,
            ...ids,
          )) as [string[], number, number[]];
          ids2.forEach((id, i) => {
            moved.push({ id, queue, seq: Number(seqs[i]) });
          });
          left -= ids2.length;
        }
        return;
      }
      const queues = params.queue === undefined ? await this.knownQueues() : [params.queue];
      for (const queue of queues) {
        let offset = 0;
        while (left > 0) {
          const chunk = Math.min(left, CHUNK);
          const [ids, scanned, seqs] = (await this.script('sluiceRedrive', queue, 'scan', chunk, offset, ...filters)) as [
            string[],
            number,
            number[],
          ];
          ids.forEach((id, i) => {
            moved.push({ id, queue, seq: Number(seqs[i]) });
          });
          left -= ids.length;
          offset += scanned - ids.length;
          if (scanned < chunk) break;
        }
      }
    });
    const perQueue = new Map<string, number>();
    for (const { id, queue, seq } of moved) {
      perQueue.set(queue, (perQueue.get(queue) ?? 0) + 1);
      this.events.emit('events:appended', { id, queue, seq });
      this.events.emit('job:requeued', { id, queue });
    }
    for (const [queue, count] of perQueue) this.events.emit('jobs:enqueued', { queue, count });
    return moved.length;
  }

  async reclaimExpired(params: { limit?: number } = {}): Promise<ReclaimResult> {
    let left = params.limit ?? Number.POSITIVE_INFINITY;
    const requeued: Array<{ id: string; queue: string }> = [];
    const failed: Job[] = [];
    const appended: Array<{ id: string; queue: string; seq: number }> = [];
    const errorJson = JSON.stringify(LEASE_EXPIRED_ERROR);
    await this.guard(async () => {
      let queues = await this.knownQueues();
      // Every queue in one round trip; a queue that filled its chunk goes again.
      while (queues.length > 0 && left > 0) {
        const chunk = Math.min(left, CHUNK);
        const batch = Number.isFinite(left) ? queues.slice(0, 1) : queues;
        const replies = await this.pipeline(batch.map((queue) => ['sluiceReclaim', queue, [chunk, errorJson]]));
        const again: string[] = [];
        replies.forEach((reply, i) => {
          const [, ids, rows, count, seqs] = reply as [number, string[], JobRow[], number, number[]];
          const queue = batch[i]!;
          ids.forEach((id, j) => {
            requeued.push({ id, queue });
            appended.push({ id, queue, seq: Number(seqs[j]) });
          });
          for (const row of rows) {
            const job = rowToJob(row);
            failed.push(job);
            appended.push({ id: job.id, queue, seq: seqAfterRow(row) });
          }
          left -= count;
          if (count >= chunk) again.push(queue);
        });
        queues = Number.isFinite(left) ? [...again, ...queues.slice(1).filter((q) => !again.includes(q))] : again;
      }
    });
    for (const payload of appended) this.events.emit('events:appended', payload);
    for (const payload of requeued) this.events.emit('job:requeued', payload);
    for (const job of failed) this.events.emit('job:finished', { job });
    return { requeued: requeued.length, failed: failed.length };
  }

  async purgeFinished(params: PurgeParams): Promise<number> {
    let left = params.limit ?? Number.POSITIVE_INFINITY;
    let total = 0;
    await this.guard(async () => {
      for (const queue of await this.knownQueues()) {
        while (left > 0) {
          const chunk = Math.min(left, CHUNK);
          const ids = (await this.script(
            'sluicePurge',
            queue,
            params.finishedOlderThanMs,
            params.failedOlderThanMs ?? params.finishedOlderThanMs,
            chunk,
            FEED_TRIM_BUDGET,
          )) as string[];
          if (ids.length > 0) await this.dropIdIndex(ids);
          total += ids.length;
          left -= ids.length;
          if (ids.length < chunk) break;
        }
      }
    });
    return total;
  }

  async stats(params: { queue?: string | undefined; tenant?: string | undefined } = {}): Promise<QueueStats[]> {
    const queues = params.queue === undefined ? await this.knownQueues() : [params.queue];
    if (queues.length === 0) return [];
    const replies = await this.guard(() => this.pipeline(queues.map((queue) => ['sluiceStats', queue, [optArg(params.tenant)]])));
    const stats: QueueStats[] = [];
    replies.forEach((reply, i) => {
      const [now, paused, hasMeta, ...numbers] = reply as [number, string, number, ...number[]];
      const [scheduled, queued, running, succeeded, failed, cancelled, oldest] = numbers.map(Number) as number[];
      const counts = { ...emptyCounts(), scheduled, queued, running, succeeded, failed, cancelled } as Record<JobStatus, number>;
      const any = Object.values(counts).some((n) => n > 0);
      // A queue is known by its jobs or by a pause flag (or because it was asked for by name).
      if (!any && hasMeta !== 1 && params.queue === undefined) return;
      stats.push({
        name: queues[i]!,
        paused: paused === '1',
        counts,
        oldestQueuedAgeMs: oldest === undefined || oldest < 0 ? 0 : Math.max(0, Number(now) - oldest),
      });
    });
    return stats.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async jobEvents({ id, tenant, after, limit }: JobEventsParams): Promise<JobEvent[] | null> {
    const from = Math.max(0, Math.floor(after ?? 0));
    const count = Math.max(0, Math.min(limit ?? EVENT_PAGE_LIMIT, EVENT_PAGE_LIMIT));
    const queue = await this.queueOf(id);
    if (queue === undefined) return null;
    const reply = (await this.guard(() => this.script('sluiceEvents', queue, id, optArg(tenant), from, count))) as
      | [string | null, string[]]
      | null;
    if (reply === null) return null;
    const [jobTenant, events] = reply;
    return events.map((json, i) => toJobEvent(json, { seq: from + i + 1, jobId: id, queue, tenant: jobTenant }));
  }

  /**
   * The feed: one stream per queue (`{p:q}:feed`, references to job events), merged by feed order
   * (feed-merge.ts); the cursor holds the last stream id read per queue (feed-cursor.ts). Costs one
   * round trip per round over the queues read (every known queue, or the one asked for).
   */
  async feed(params: FeedParams): Promise<FeedPage> {
    const after = params.after === undefined ? new Map<string, string>() : parseFeedCursor(params.after);
    if (params.queue !== undefined) checkQueueName(params.queue);
    const limit = Math.max(0, Math.min(Math.floor(params.limit), EVENT_PAGE_LIMIT));
    const queues = params.queue === undefined ? await this.knownQueues() : [params.queue];
    return this.guard(async () => {
      if (limit === 0) {
        // The current end: the newest entry of each queue's feed.
        const ends = await this.pipeline(queues.map((queue) => ['sluiceFeedEnd', queue, []]));
        const positions = new Map(after);
        ends.forEach((id, i) => {
          if (typeof id === 'string') positions.set(queues[i]!, id);
        });
        return { events: [], cursor: encodeFeedCursor(positions) };
      }
      const filterArgs = [optArg(params.tenant), ...typeFilterArgs(params.types)];
      const events: FeedEvent[] = [];
      const positions = await mergeFeed({
        queues,
        positions: after,
        limit,
        maxRounds: FEED_MAX_ROUNDS,
        read: async (requests) => {
          const replies = await this.pipeline(
            requests.map(({ queue, after: from, want }) => [
              'sluiceFeedRead',
              queue,
              [from ?? '', want, FEED_SCAN_BUDGET, ...filterArgs],
            ]),
          );
          return replies.map((reply, i) => feedReadOf(requests[i]!.queue, reply));
        },
        onTake: (event, at) => events.push({ ...toJobEvent(event.json, event), cursor: encodeFeedCursor(at) }),
      });
      return { events, cursor: encodeFeedCursor(positions) };
    });
  }

  async appendOutput({ id, leaseToken, chunks }: AppendOutputParams): Promise<JobEvent> {
    const queue = queueOfToken(leaseToken);
    if (queue === undefined) throw new LeaseLostError(id);
    const chunksJson = JSON.stringify(chunks ?? []);
    const reply = (await this.guard(() => this.script('sluiceAppendOutput', queue, id, leaseToken, chunksJson))) as
      | 0
      | [number, number, number, string | null];
    if (reply === 0) throw new LeaseLostError(id);
    const [seq, attempt, at, tenant] = reply;
    this.events.emit('events:appended', { id, queue, seq });
    const event: JobEvent = {
      seq,
      jobId: id,
      type: 'job.output.delta',
      at,
      attempt,
      data: { chunks: JSON.parse(chunksJson) },
      queue,
    };
    if (tenant !== null) event.tenant = tenant;
    return event;
  }

  async ping(): Promise<void> {
    await this.guard(() => this.redis.ping());
  }

  /** Subscribes to the prefix's channel (see relayOnDemand above); close stops it. */
  private async startRelay(): Promise<void> {
    if (this.closed) return;
    const subscriber = this.redis.duplicate();
    clearStaleSocketTimers(subscriber);
    this.subscriber = subscriber;
    let stop: () => Promise<void>;
    try {
      // Connected first: without an offline queue, a SUBSCRIBE sent while connecting would fail.
      await subscriber.connect();
      stop = await startEventRelay({
        subscriber,
        channel: this.keys.channel,
        origin: this.origin,
        events: this.events,
        fetchJobs: (queue, ids) => this.fetchJobs(queue, ids),
      });
    } catch (error) {
      subscriber.disconnect();
      throw error;
    }
    if (this.closed) await stop();
    else this.stopRelay = stop;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Subscribed: unsubscribe in order. Still subscribing: drop the connection (the subscribe fails).
    if (this.stopRelay) await this.stopRelay();
    else this.subscriber?.disconnect();
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }

  /** Reads jobs of one queue by id (the relay's `job:finished`). */
  private async fetchJobs(queue: string, ids: string[]): Promise<Job[]> {
    const reply = (await this.script('sluiceFetch', queue, ...ids)) as [number, JobRow[]];
    return reply[1].filter(rowExists).map((row) => rowToJob(row));
  }

  /** The queue a job lives in (from the id index), or undefined for an unknown id. */
  private async queueOf(id: string): Promise<string | undefined> {
    const queue = await this.guard(() => this.redis.hget(this.keys.idShard(id), id));
    return queue ?? undefined;
  }

  private async queuesOf(ids: string[]): Promise<Array<string | undefined>> {
    if (ids.length === 0) return [];
    if (this.cluster) {
      // One command per id shard (slot); auto-pipelining sends them as one pipeline per node.
      const found = await Promise.all(ids.map((id) => this.redis.hget(this.keys.idShard(id), id)));
      return found.map((q) => q ?? undefined);
    }
    const pipe = this.redis.pipeline();
    for (const id of ids) pipe.hget(this.keys.idShard(id), id);
    return (execAll(await pipe.exec()) as Array<string | null>).map((q) => q ?? undefined);
  }

  private async dropIdIndex(ids: string[]): Promise<void> {
    if (this.cluster) {
      await Promise.all(
        [...groupBy(ids, (id) => this.keys.idShard(id))].map(([shard, group]) => this.redis.hdel(shard, ...group)),
      );
      return;
    }
    const pipe = this.redis.pipeline();
    for (const [shard, group] of groupBy(ids, (id) => this.keys.idShard(id))) pipe.hdel(shard, ...group);
    execAll(await pipe.exec());
  }

  private async knownQueues(): Promise<string[]> {
    const queues = await this.guard(() => this.redis.smembers(this.keys.queues));
    return queues.sort();
  }

  /** The error that ends a job whose output is too large to store, or undefined when it fits. */
  private outputTooLarge(text: string): JobError | undefined {
    const bytes = Buffer.byteLength(text);
    if (bytes <= this.maxOutputBytes) return undefined;
    return {
      code: ErrorCodes.payloadTooLarge,
      message: `the output is ${bytes} bytes of JSON; the Redis backend stores at most ${this.maxOutputBytes} (maxOutputBytes)`,
      permanent: true,
    };
  }

  /** The shared leading arguments of every script (see lua.ts). */
  private header(queue: string): [string, ...ScriptArg[]] {
    return [
      this.keys.meta(queue),
      this.keys.base(queue),
      this.clock === undefined ? '' : this.clock.now(),
      queue,
      this.origin,
      this.keys.channel,
    ];
  }

  /** A queue script call: the header, the script's own arguments, then the call's feed order (lua.ts). */
  private script(name: ScriptName, queue: string, ...args: ScriptArg[]): Promise<unknown> {
    const fn = (this.redis as unknown as Record<ScriptName, ScriptFn>)[name];
    return fn.call(this.redis, ...this.header(queue), ...args, reserveFeedOrder());
  }

  private queued(target: ChainableCommander, name: ScriptName, queue: string, ...args: ScriptArg[]): void {
    const fn = (target as unknown as Record<ScriptName, QueuedScriptFn>)[name];
    fn.call(target, ...this.header(queue), ...args, reserveFeedOrder());
  }

  /**
   * Several script calls in one round trip; the replies in call order. `atomic`: on a single node
   * they run as one MULTI (all applied at once). On a Cluster the queues live on several nodes and
   * one explicit pipeline may only address one: the calls are issued together and auto-pipelining
   * sends them as one pipeline per node (atomic per call only). A lone call goes as it is.
   */
  private async pipeline(
    calls: ReadonlyArray<readonly [ScriptName, string, readonly ScriptArg[]]>,
    { atomic = false }: { atomic?: boolean } = {},
  ): Promise<unknown[]> {
    if (calls.length === 0) return [];
    if (calls.length === 1 || this.cluster) {
      return Promise.all(calls.map(([name, queue, args]) => this.script(name, queue, ...args)));
    }
    const pipe = atomic ? this.redis.multi() : this.redis.pipeline();
    for (const [name, queue, args] of calls) this.queued(pipe, name, queue, ...args);
    return execAll(await pipe.exec());
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

/** Opens the Redis backend. */
export async function openRedisBackend(options: RedisBackendOptions): Promise<Backend> {
  return RedisBackend.open(options);
}

/**
 * Each job's feed order in a batch (feed-order.ts): consecutive, in the batch's order, so that the
 * feed shows its jobs in that order even when its queues live on different masters.
 */
function feedOrders(jobs: readonly NewJob[], queues: number): (job: NewJob) => string {
  const first = reserveFeedOrder(jobs.length);
  if (queues === 1) {
    // One queue: its group is the batch, asked for in order.
    let next = first;
    return () => String(next++);
  }
  const index = new Map(jobs.map((job, i) => [job, i]));
  return (job) => String(first + index.get(job)!);
}

/** A feed-read script's answer (lua/feed-read.lua). */
function feedReadOf(queue: string, reply: unknown): QueueRead {
  const [last, ended, found] = reply as [string | null, number, Array<[string, string, string, number, string | null, string]>];
  return {
    lastExamined: last ?? undefined,
    ended: Number(ended) === 1,
    events: found.map(
      ([streamId, order, jobId, seq, tenant, json]): StreamEvent => ({
        queue,
        streamId,
        order: Number(order),
        jobId,
        seq: Number(seq),
        tenant: tenant ?? undefined,
        json,
      }),
    ),
  };
}

/** The enqueue script's answer when a key of the batch is held by a job of another request. */
function isMismatchReply(reply: unknown[]): boolean {
  return reply[1] === 'mismatch';
}

function throwOnMismatch(jobs: readonly NewJob[], reply: unknown[]): void {
  if (!isMismatchReply(reply)) return;
  const index = Number(reply[2]);
  throw idempotencyMismatchError(jobs[index]!, String(reply[3]), mismatchField(index, jobs.length));
}

/** Pipeline / MULTI replies, throwing the first error. */
function execAll(results: Array<[Error | null, unknown]> | null): unknown[] {
  if (results === null) throw new Error('redis transaction was aborted');
  return results.map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}

/** Groups attempt-scoped items by the queue their token names; tokens that are not ours are `foreign`. */
function groupLeases<T extends LeaseRef>(items: readonly T[]): { byQueue: Map<string, T[]>; foreign: T[] } {
  const byQueue = new Map<string, T[]>();
  const foreign: T[] = [];
  for (const item of items) {
    const queue = queueOfToken(item.leaseToken);
    if (queue === undefined) {
      foreign.push(item);
      continue;
    }
    const group = byQueue.get(queue);
    if (group) group.push(item);
    else byQueue.set(queue, [item]);
  }
  return { byQueue, foreign };
}

/**
 * One usage entry as a member of the usage log: compact JSON led by a unique id, so that equal
 * entries stay distinct members. Tokens are rounded to integers, as the SQL backends store them.
 */
function usageMember(entry: UsageEntry): string {
  return JSON.stringify([
    randomUUID(),
    entry.queue,
    entry.tenant ?? null,
    entry.type,
    entry.provider,
    entry.model,
    Math.round(entry.inputTokens),
    Math.round(entry.outputTokens),
    entry.costUsd ?? null,
    entry.jobId,
  ]);
}

type UsageMember = [string, string, string | null, string, string, string, number, number, number | null, string];

/** Adds one usage-log member to its (queue, tenant, provider, model) group, if it passes the filters. */
function addUsage(groups: Map<string, UsageGroup>, member: string, params: UsageParams): void {
  const [, queue, tenant, , provider, model, inputTokens, outputTokens, costUsd] = JSON.parse(member) as UsageMember;
  if (params.queue !== undefined && queue !== params.queue) return;
  if (params.tenant !== undefined && tenant !== params.tenant) return;
  const key = JSON.stringify([queue, tenant, provider, model]);
  let group = groups.get(key);
  if (!group) {
    group = { queue, tenant, provider, model, inputTokens: 0, outputTokens: 0, costUsd: 0, calls: 0 };
    groups.set(key, group);
  }
  group.inputTokens += inputTokens;
  group.outputTokens += outputTokens;
  group.costUsd += costUsd ?? 0;
  group.calls++;
}

/** The claim scripts' type filter: -1 for any type, else the count and the types. */
function typeFilterArgs(types: readonly string[] | undefined): ScriptArg[] {
  return types === undefined ? [-1] : [types.length, ...types];
}

function leaseArgs(lease: LeaseRef): string[] {
  return [lease.id, lease.leaseToken];
}
