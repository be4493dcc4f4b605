import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { type Clock, systemClock } from '../core/clock.js';
import { ErrorCodes, SluiceError } from '../core/errors.js';
import { DEFAULT_QUEUE } from '../core/job-spec.js';
import { type HandlerDefinition, type HandlerMap, toDefinition } from './handler.js';

/** Where the worker writes what it does; pino's and console's methods fit. Default: silent. */
export interface WorkerLogger {
  info(details: object, message?: string): void;
  warn(details: object, message?: string): void;
  error(details: object, message?: string): void;
}

export interface WorkerOptions {
  /** Queues to claim from. Default `['default']`. */
  queues?: string[] | undefined;
  /** Handlers by job type; only these types are claimed. */
  handlers: HandlerMap;
  /**
   * Claim only this tenant's jobs (a worker run for one tenant never sees another's). Needs a
   * backend that declares `capabilities.tenantClaims`: on any other the worker is refused when it
   * is made, as it would claim every tenant's jobs. Default: none, every tenant's jobs.
   */
  tenant?: string | undefined;
  /** Handlers running at once. Default 4. */
  concurrency?: number | undefined;
  /**
   * Jobs claimed ahead of free slots, held under lease (heartbeats extend them) until a slot frees.
   * Short jobs then cost a claim round trip per batch rather than per job. The price: a job that
   * arrives later with a higher priority waits behind at most this many, held jobs read as
   * `running` (they are leased), and a stopping worker hands them back at once. Default 0 (claim
   * only for free slots).
   */
  prefetch?: number | undefined;
  /** Lease length asked for on claim and on every heartbeat. Default 30 s. */
  leaseMs?: number | undefined;
  /** Time between heartbeats (one call for all held leases). Default leaseMs / 3. */
  heartbeatMs?: number | undefined;
  /** How often an idle worker looks for work that no event announced (other processes). Default 250 ms. */
  pollIntervalMs?: number | undefined;
  /** How long stop() lets in-flight jobs finish before releasing them. Default 30 s. */
  shutdownGraceMs?: number | undefined;
  /** Attempt timeout when neither the job nor the handler gives one. Default 15 min. */
  defaultTimeoutMs?: number | undefined;
  /**
   * Least time between two writes of one attempt's `ctx.emit` chunks and `ctx.progress` (the first
   * goes at once; what comes meanwhile is written together). Default 50 ms.
   */
  emitFlushMs?: number | undefined;
  /** Most chunks in one `job.output.delta` event; a buffer this full is written at once. Default 1000. */
  emitMaxChunks?: number | undefined;
  /** Most JSON bytes of chunks in one `job.output.delta` event, and so of one chunk. Default 64 KiB. */
  emitMaxBytes?: number | undefined;
  /** Names this worker in leases and logs. Default `host-pid-random`. */
  workerId?: string | undefined;
  /** Used for attempt durations. Default the system clock. */
  clock?: Clock | undefined;
  /** Jitter source for retry backoff. Default Math.random. */
  random?: (() => number) | undefined;
  logger?: WorkerLogger | undefined;
}

/** WorkerOptions with every default applied and checked. */
export interface ResolvedWorkerOptions {
  queues: string[];
  handlers: ReadonlyMap<string, HandlerDefinition<never, unknown>>;
  tenant: string | undefined;
  concurrency: number;
  prefetch: number;
  leaseMs: number;
  heartbeatMs: number;
  pollIntervalMs: number;
  shutdownGraceMs: number;
  defaultTimeoutMs: number;
  emitFlushMs: number;
  emitMaxChunks: number;
  emitMaxBytes: number;
  workerId: string;
  clock: Clock;
  random: () => number;
  logger: WorkerLogger;
}

const silentLogger: WorkerLogger = { info: () => {}, warn: () => {}, error: () => {} };

/** Applies defaults; throws a SLUICE_CONFIG error naming the option that is out of range. */
export function resolveWorkerOptions(options: WorkerOptions): ResolvedWorkerOptions {
  const leaseMs = options.leaseMs ?? 30_000;
  const resolved: ResolvedWorkerOptions = {
    queues: options.queues ?? [DEFAULT_QUEUE],
    handlers: new Map(Object.entries(options.handlers).map(([type, handler]) => [type, toDefinition(handler)])),
    tenant: options.tenant,
    concurrency: options.concurrency ?? 4,
    prefetch: options.prefetch ?? 0,
    leaseMs,
    heartbeatMs: options.heartbeatMs ?? Math.max(1, Math.floor(leaseMs / 3)),
    pollIntervalMs: options.pollIntervalMs ?? 250,
    shutdownGraceMs: options.shutdownGraceMs ?? 30_000,
    defaultTimeoutMs: options.defaultTimeoutMs ?? 15 * 60_000,
    emitFlushMs: options.emitFlushMs ?? 50,
    emitMaxChunks: options.emitMaxChunks ?? 1_000,
    emitMaxBytes: options.emitMaxBytes ?? 64 * 1024,
    workerId: options.workerId ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
    clock: options.clock ?? systemClock,
    random: options.random ?? Math.random,
    logger: options.logger ?? silentLogger,
  };
  if (resolved.queues.length === 0) throw configError('queues', 'give at least one queue');
  if (resolved.handlers.size === 0) throw configError('handlers', 'give at least one handler');
  if (resolved.tenant !== undefined && (typeof resolved.tenant !== 'string' || resolved.tenant === '')) {
    throw configError('tenant', 'must be a non-empty string');
  }
  for (const [type, definition] of resolved.handlers) {
    if (definition.concurrency !== undefined) requirePositiveInteger(`handlers.${type}.concurrency`, definition.concurrency);
    if (definition.timeoutMs !== undefined) requirePositiveInteger(`handlers.${type}.timeoutMs`, definition.timeoutMs);
    if (definition.batch !== undefined) {
      requirePositiveInteger(`handlers.${type}.batch.maxSize`, definition.batch.maxSize);
      if (!Number.isInteger(definition.batch.maxWaitMs) || definition.batch.maxWaitMs < 0) {
        throw configError(`handlers.${type}.batch.maxWaitMs`, 'must be an integer >= 0');
      }
      if (typeof definition.handleBatch !== 'function')
        throw configError(`handlers.${type}.handleBatch`, 'is required with batch');
    }
  }
  requirePositiveInteger('concurrency', resolved.concurrency);
  if (!Number.isInteger(resolved.prefetch) || resolved.prefetch < 0) throw configError('prefetch', 'must be an integer >= 0');
  requirePositiveInteger('leaseMs', resolved.leaseMs);
  requirePositiveInteger('heartbeatMs', resolved.heartbeatMs);
  requirePositiveInteger('pollIntervalMs', resolved.pollIntervalMs);
  requirePositiveInteger('defaultTimeoutMs', resolved.defaultTimeoutMs);
  if (!Number.isInteger(resolved.emitFlushMs) || resolved.emitFlushMs < 0)
    throw configError('emitFlushMs', 'must be an integer >= 0');
  requirePositiveInteger('emitMaxChunks', resolved.emitMaxChunks);
  requirePositiveInteger('emitMaxBytes', resolved.emitMaxBytes);
  if (!Number.isInteger(resolved.shutdownGraceMs) || resolved.shutdownGraceMs < 0) {
    throw configError('shutdownGraceMs', 'must be an integer >= 0');
  }
  // A heartbeat slower than the lease would let every long job's lease expire between beats.
  if (resolved.heartbeatMs >= resolved.leaseMs) throw configError('heartbeatMs', 'must be shorter than leaseMs');
  return resolved;
}

function requirePositiveInteger(field: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw configError(field, 'must be an integer >= 1');
}

function configError(field: string, message: string): SluiceError {
  return new SluiceError(ErrorCodes.config, `worker option ${field}: ${message}`, { field });
}
