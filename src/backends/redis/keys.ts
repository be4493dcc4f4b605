import { ValidationError } from '../../core/errors.js';

/**
 * The key layout. Every key of one queue starts with the queue's hash tag `{prefix:queue}`, so all
 * of them live in one Redis Cluster slot and one Lua script can change them atomically:
 *
 *   {p:q}:meta          hash   paused flag (a queue known by its pause flag only has just this key)
 *   {p:q}:types         set    job types that may have ready jobs (claims without a type filter)
 *   {p:q}:r:<type>      zset   ready jobs of one type, score = claim order (see score() in the scripts' prelude)
 *   {p:q}:tr:<n>:<tenant>:<type>
 *                       zset   the ready jobs of one tenant and type (tenant-scoped claims), same scores;
 *                              n = the tenant's byte length, so no tenant/type pair spells another's key
 *   {p:q}:sched         zset   scheduled jobs (delays, retry backoff) by runAt
 *   {p:q}:run           zset   running jobs by lease expiry (the lease reaper's index)
 *   {p:q}:done:<status> zset   succeeded / failed / cancelled jobs by finishedAt (retention, DLQ)
 *   {p:q}:idem          hash   `tenant \0 key` -> job id (idempotency keys, unique per queue+tenant)
 *   {p:q}:all           zset   every job id, score 0: the list index (ids are UUIDv7, so lex order is time order)
 *   {p:q}:j:<id>        hash   one job
 *   {p:q}:ev:<id>       list   the job's event log: one JSON event per change, seq = position + 1
 *   {p:q}:feed          stream the queue's part of the feed: per event a reference (job id, seq, feed order)
 *
 * Two global keys, each in a slot of its own (cross-slot: on a single node the enqueue script writes
 * them with the job, on a Cluster a separate idempotent step writes them first; see
 * docs/redis.md):
 *
 *   {p}:queues          set    every queue ever used (stats, list, reclaim and purge walk it)
 *   {p/ids/<x>}         hash   job id -> queue, 16 shards by the id's last hex digit (get/cancel by id)
 *
 * And one key per provider scope (Backend.updateRateBudget), each in a hash tag (a slot) of its own:
 *
 *   {p/rb/<scope>}      hash   the scope's rate budget: factor, blockedUntil, tokens per bucket
 *
 * And the usage log (Backend.recordUsage / usage), a hash tag of its own:
 *
 *   {p/usage}:entries   zset   one member per usage entry (compact JSON with a unique id), score = at
 *
 * And one key per record namespace (the record store, redis-records.ts), a hash tag (a slot) each:
 *
 *   {p/rec/<namespace>} hash   record key -> '{"e":expiresAt,"v":value}' (lua/record-prelude.lua);
 *                              the key expires with its latest record while all of them expire
 */
export class RedisKeys {
  readonly prefix: string;
  /** The pub/sub channel of this prefix: wake-ups and cross-process events. */
  readonly channel: string;
  readonly queues: string;
  /** Every usage entry, scored by its time (epoch ms). */
  readonly usage: string;

  constructor(prefix: string) {
    this.prefix = prefix;
    this.channel = `${prefix}:events`;
    this.queues = `{${prefix}}:queues`;
    this.usage = `{${prefix}/usage}:entries`;
  }

  /** The hash tag every key of `queue` starts with; the Lua scripts build the other names from it. */
  base(queue: string): string {
    return `{${this.prefix}:${queue}}`;
  }

  /** The key scripts are routed by (KEYS[1]): one real key in the queue's slot. */
  meta(queue: string): string {
    return `${this.base(queue)}:meta`;
  }

  job(queue: string, id: string): string {
    return `${this.base(queue)}:j:${id}`;
  }

  /** The id -> queue shard that holds `id`. */
  idShard(id: string): string {
    return `{${this.prefix}/ids/${id.slice(-1).toLowerCase()}}`;
  }

  /** The rate budget of one provider scope (a hash tag of its own; a brace in the scope only shortens the tag). */
  rateBudget(scope: string): string {
    return `{${this.prefix}/rb/${scope}}`;
  }

  /**
   * One record namespace's hash. A brace in the namespace only shortens the tag: the key stays the
   * namespace's own, and one key is always in one slot.
   */
  records(namespace: string): string {
    return `{${this.prefix}/rec/${namespace}}`;
  }

  /** Pattern matching every key of this prefix (tests clean up with it). */
  pattern(): string {
    return `{${this.prefix}*`;
  }
}

const PREFIX_RE = /^[A-Za-z0-9_.:-]+$/;

/** Prefixes become part of hash tags: braces would split the tag, so only plain names are allowed. */
export function checkPrefix(prefix: string): string {
  if (!PREFIX_RE.test(prefix)) {
    throw new ValidationError('redis key prefix must contain only letters, digits, _ . : -', 'prefix');
  }
  return prefix;
}

/** A queue name with a brace would end the hash tag early and could collide with another queue's keys. */
export function checkQueueName(queue: string, field = 'queue'): void {
  if (queue === '' || queue.includes('{') || queue.includes('}')) {
    throw new ValidationError('queue names for the Redis backend must be non-empty and contain no braces', field);
  }
}
