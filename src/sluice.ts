import { type OpenBackendOptions, openBackend } from './backends/open-backend.js';
import {
  type Backend,
  type EnqueueResult,
  type ListParams,
  type ListResult,
  type RedriveParams,
  withCapability,
} from './core/backend.js';
import { ErrorCodes, NotFoundError, SluiceError, ValidationError } from './core/errors.js';
import { rejectMismatches } from './core/idempotency-mismatch.js';
import { isTerminal, type Job, type JobStatus, type QueueStats } from './core/job.js';
import { LIMITS } from './core/job-spec.js';
import { type JobSpec, type NewJob, toNewJob } from './core/new-job.js';
import { EnqueueCoalescer } from './enqueue-coalescer.js';
import { Maintenance, type MaintenanceOptions } from './maintenance/maintenance.js';
import { startWebhookDelivery } from './maintenance/webhook-delivery.js';
import { DELIVERY_JOB_TYPE, DELIVERY_QUEUE, type WebhookSettings } from './webhooks/settings.js';
import { type WebhookBackend, Webhooks } from './webhooks/webhooks.js';
import { Worker, type WorkerOptions } from './worker/worker.js';

export interface EnqueueOptions {
  /** Owner of the job (set by the API from the caller's key); scopes every later read. */
  tenant?: string | undefined;
  /**
   * Idempotency key given outside the spec (e.g. the Idempotency-Key header). For several specs,
   * job `i` without a key of its own gets `KEY:i`, so a retried bulk request makes no duplicates.
   */
  idempotencyKey?: string | undefined;
  /**
   * Transactional enqueue: the caller's open transaction (a pg `PoolClient` on PostgreSQL). The
   * job is written inside it and exists only if that transaction commits.
   */
  client?: unknown;
}

/** Two jobs of one request with one key must be one request, asked for twice (it then makes one job). */
function checkKeysWithinRequest(jobs: NewJob[]): void {
  const hashByKey = new Map<string, string | undefined>();
  jobs.forEach((job, i) => {
    if (job.idempotencyKey === undefined) return;
    const key = JSON.stringify([job.queue, job.idempotencyKey]);
    if (!hashByKey.has(key)) hashByKey.set(key, job.requestHash);
    else if (hashByKey.get(key) !== job.requestHash) {
      throw new ValidationError(
        `jobs.${i}: another job of this request has the same idempotency key`,
        `jobs.${i}.idempotencyKey`,
      );
    }
  });
}

export interface WaitForOptions {
  /** Give up after this long (SluiceError SLUICE_TIMEOUT). Default 30 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
  tenant?: string | undefined;
  /** How often to re-read the job when the backend cannot push changes from other processes. */
  pollIntervalMs?: number;
}

export interface ScopeOptions {
  tenant?: string | undefined;
}

export interface SluiceOptions {
  /**
   * The lease reaper and retention sweeper that the first `worker()` starts (see Maintenance).
   * `false`: a worker starts none (another process runs them, or `startMaintenance()` later).
   */
  maintenance?: MaintenanceOptions | false | undefined;
  /**
   * Webhooks (job spec `webhook`, tenant endpoints): how they are signed, guarded and retried.
   * They need a backend with `capabilities.eventLog` and `capabilities.records`. Where maintenance
   * runs, deliveries are made too, once the first webhook anywhere armed them. `false`: this
   * Sluice neither takes webhooks nor delivers them.
   */
  webhooks?: WebhookSettings | false | undefined;
}

/**
 * The library facade: one object to enqueue, inspect, and run workers on a backend.
 * The HTTP server and the CLI are built on it; it knows no HTTP and no CLI.
 */
export class Sluice {
  private readonly workers = new Set<Worker>();
  private closed = false;
  private maintenanceService: Maintenance | undefined;
  private stopWebhookDelivery: (() => Promise<void>) | undefined;
  /** Webhooks on this backend; undefined when disabled or the backend lacks the roles. */
  readonly webhooks: Webhooks | undefined;

  /** Single-job enqueues that arrive together share one backend write, per queue (see EnqueueCoalescer). */
  private readonly singles = new Map<string, EnqueueCoalescer>();

  private constructor(
    readonly backend: Backend,
    private readonly options: SluiceOptions,
  ) {
    const roles = backend.capabilities.eventLog === true && backend.capabilities.records === true;
    this.webhooks = options.webhooks === false || !roles ? undefined : new Webhooks(backend as WebhookBackend, options.webhooks);
  }

  /** Opens the backend named by `url` (default `sqlite:./data/sluice.db`). */
  static async connect(url?: string, options: OpenBackendOptions & SluiceOptions = {}): Promise<Sluice> {
    return new Sluice(await openBackend(url, options), { maintenance: options.maintenance, webhooks: options.webhooks });
  }

  /** Wraps an already open backend (tests, custom adapters). */
  static fromBackend(backend: Backend, options: SluiceOptions = {}): Sluice {
    return new Sluice(backend, options);
  }

  /** Validates and stores one job; resolves once it is durable. */
  async enqueue(spec: JobSpec, options: EnqueueOptions = {}): Promise<Job> {
    const [result] = await this.submit([spec], options);
    return result!.job;
  }

  /** Validates and stores many jobs in one transaction (all or none). */
  async enqueueMany(specs: JobSpec[], options: ScopeOptions & Pick<EnqueueOptions, 'client'> = {}): Promise<Job[]> {
    return (await this.submit(specs, options)).map((r) => r.job);
  }

  /**
   * Like enqueueMany, but says per job whether it was created or an idempotency key matched an
   * existing one. Validation errors name the field (`jobs.3.priority` for bulk).
   */
  async submit(specs: unknown[], options: EnqueueOptions = {}): Promise<EnqueueResult[]> {
    if (specs.length === 0) throw new ValidationError('at least one job is required', 'jobs');
    if (specs.length > LIMITS.bulkMax) throw new ValidationError(`at most ${LIMITS.bulkMax} jobs per call`, 'jobs');
    const bulk = specs.length > 1;
    const now = Date.now();
    const key = options.idempotencyKey;
    const jobs = specs.map((spec, i) =>
      toNewJob(
        spec,
        { tenant: options.tenant, idempotencyKey: key === undefined || !bulk ? key : `${key}:${i}`, now },
        bulk ? `jobs.${i}` : '',
      ),
    );
    if (bulk) checkKeysWithinRequest(jobs);
    const hooked = jobs.some((job) => job.webhook !== undefined);
    if (hooked) await this.takeWebhooks(jobs, bulk);
    try {
      return await this.store(jobs, bulk, options);
    } catch (error) {
      if (hooked) await this.webhooks?.forgetJobWebhooks(jobs);
      throw error;
    }
  }

  /** The SSRF guard on the jobs' webhooks, then the webhooks stored (before their jobs). */
  private async takeWebhooks(jobs: NewJob[], bulk: boolean): Promise<void> {
    if (this.webhooks === undefined) {
      const i = jobs.findIndex((job) => job.webhook !== undefined);
      const field = bulk ? `jobs.${i}.webhook` : 'webhook';
      const why =
        this.options.webhooks === false
          ? 'webhooks are disabled here'
          : `the ${this.backend.name} backend keeps no event log or records`;
      throw new ValidationError(`${field}: ${why}, so no webhook can be delivered`, field);
    }
    await this.webhooks.checkJobs(jobs, bulk);
    await this.webhooks.storeJobWebhooks(jobs);
  }

  private async store(jobs: NewJob[], bulk: boolean, options: EnqueueOptions): Promise<EnqueueResult[]> {
    let results: EnqueueResult[];
    // A key used before for a different request refuses the whole call, inside the backend's write,
    // so that nothing of it is stored (IETF Idempotency-Key).
    if (options.client !== undefined) {
      results = await this.backend.enqueue({ jobs, connection: options.client, mismatch: 'reject' });
    }
    // A bulk call stays one all-or-none write of its own; single jobs may share one (group commit),
    // where a mismatch is reported per job so that only its caller is refused.
    else if (bulk) results = await this.backend.enqueue({ jobs, mismatch: 'reject' });
    else results = [await this.coalescerFor(jobs[0]!.queue).enqueue(jobs[0]!)];
    // A coalesced single's own check (and a fallback for an adapter that ignores `mismatch`).
    rejectMismatches(jobs, results);
    return results;
  }

  private coalescerFor(queue: string): EnqueueCoalescer {
    let coalescer = this.singles.get(queue);
    if (!coalescer) {
      coalescer = new EnqueueCoalescer(
        (jobs) => this.backend.enqueue({ jobs }),
        LIMITS.bulkMax,
        () => this.singles.delete(queue),
        this.backend.capabilities.synchronousWrites === true,
      );
      this.singles.set(queue, coalescer);
    }
    return coalescer;
  }

  get(id: string, options: ScopeOptions = {}): Promise<Job | null> {
    return this.backend.get({ id, tenant: options.tenant });
  }

  /** Like get, but a missing job is a NotFoundError. */
  async getOrThrow(id: string, options: ScopeOptions = {}): Promise<Job> {
    const job = await this.get(id, options);
    if (!job) throw new NotFoundError(`job ${id} not found`);
    return job;
  }

  /**
   * A job's status and its output as JSON text. From the stored text as it is where the backend
   * can read it (`capabilities.outputText`): a large output is then neither parsed nor serialised
   * again; otherwise from `get`. A missing job is a NotFoundError.
   */
  async outputText(id: string, options: ScopeOptions = {}): Promise<{ status: JobStatus; json: string }> {
    const reader = withCapability(this.backend, 'outputText');
    if (reader) {
      const stored = await reader.readOutput({ id, tenant: options.tenant });
      if (!stored) throw new NotFoundError(`job ${id} not found`);
      return { status: stored.status, json: stored.outputJson ?? 'null' };
    }
    const job = await this.getOrThrow(id, options);
    return { status: job.status, json: JSON.stringify(job.output ?? null) };
  }

  cancel(id: string, options: ScopeOptions = {}): Promise<Job> {
    return this.backend.cancel({ id, tenant: options.tenant });
  }

  list(params: ListParams): Promise<ListResult> {
    return this.backend.list(params);
  }

  stats(params: { queue?: string | undefined; tenant?: string | undefined } = {}): Promise<QueueStats[]> {
    return this.backend.stats(params);
  }

  pauseQueue(queue: string): Promise<void> {
    return this.backend.pauseQueue({ queue, paused: true });
  }

  resumeQueue(queue: string): Promise<void> {
    return this.backend.pauseQueue({ queue, paused: false });
  }

  /** Moves failed (dead-letter) jobs back to the queue with fresh attempts. */
  redrive(params: RedriveParams = {}): Promise<number> {
    return this.backend.redrive(params);
  }

  /**
   * Resolves with the job once it has ended (succeeded, failed or cancelled). Wakes on the
   * backend's `job:finished` event and also re-reads the job every `pollIntervalMs` (every 5 s at
   * least when the backend relays other processes' changes, as a safety net for lost wake-ups).
   */
  async waitFor(id: string, options: WaitForOptions = {}): Promise<Job> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const pollMs = options.pollIntervalMs ?? 250;
    // Relayed ends must flow before the first read, or one between the read and the subscription
    // would only be seen by the next re-read.
    await this.backend.events.relaying();
    const first = await this.getOrThrow(id, options);
    if (isTerminal(first.status)) return first;

    return new Promise<Job>((resolve, reject) => {
      let settled = false;
      const timers: NodeJS.Timeout[] = [];
      const finish = (error: unknown, job?: Job) => {
        if (settled) return;
        settled = true;
        for (const t of timers) clearTimeout(t);
        unsubscribe();
        options.signal?.removeEventListener('abort', onAbort);
        if (job) resolve(job);
        else reject(error);
      };
      const check = () => {
        this.get(id, options).then(
          (job) => {
            if (!job) finish(new NotFoundError(`job ${id} not found`));
            else if (isTerminal(job.status)) finish(undefined, job);
          },
          (error: unknown) => finish(error),
        );
      };
      // By id: a job:finished listener would make the backend read back every finished row. The
      // re-read waits for the next turn of the event loop: the end is emitted by the completion's
      // write, and reading (and then sending) a large output in the same turn would hold back the
      // requests that arrived meanwhile.
      const unsubscribe = this.backend.events.on('job:ended', (ended) => {
        if (ended.id === id) setImmediate(check);
      });
      const onAbort = () => finish(options.signal?.reason ?? new SluiceError(ErrorCodes.cancelled, 'wait aborted'));
      if (options.signal?.aborted) return onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      timers.push(
        setTimeout(
          () => finish(new SluiceError(ErrorCodes.timeout, `job ${id} did not finish within ${timeoutMs} ms`)),
          timeoutMs,
        ),
      );
      // Relayed events (NOTIFY, pub/sub) are a wake-up, not a delivery guarantee: one sent while the
      // listener reconnects is lost. So even then re-read now and then, just less often.
      const everyMs = this.backend.capabilities.crossProcessEvents ? Math.max(pollMs, 5_000) : pollMs;
      const poll = () => {
        if (settled) return;
        check();
        timers.push(setTimeout(poll, everyMs));
      };
      timers.push(setTimeout(poll, everyMs));
    });
  }

  /**
   * Creates a worker on this backend (not started: call `start()`). The first one also starts this
   * Sluice's maintenance (lease reaper, retention sweeper) unless the options say `maintenance: false`:
   * without a reaper somewhere, the jobs of a worker that died would stay `running` for ever.
   * A worker bound to a `tenant` on a backend without `capabilities.tenantClaims` is a SLUICE_CONFIG
   * error thrown here, before any maintenance starts.
   */
  worker(options: WorkerOptions): Worker {
    if (this.closed) throw new SluiceError(ErrorCodes.shuttingDown, 'this Sluice is closed');
    const worker = new Worker(this.backend, options);
    this.workers.add(worker);
    if (this.maintenanceService === undefined && this.options.maintenance !== false) this.startMaintenance();
    return worker;
  }

  /**
   * Starts this Sluice's maintenance, for a process that runs it without a worker (an API-only
   * server). `options` default to those given to connect / fromBackend. One per Sluice: a later call
   * returns the same service (started again if it was stopped); giving options once it exists is a
   * SLUICE_CONFIG error, as they would be ignored.
   */
  startMaintenance(options?: MaintenanceOptions): Maintenance {
    if (this.closed) throw new SluiceError(ErrorCodes.shuttingDown, 'this Sluice is closed');
    if (this.maintenanceService !== undefined) {
      if (options !== undefined) {
        throw new SluiceError(ErrorCodes.config, 'maintenance is already configured on this Sluice', {
          field: 'maintenance',
        });
      }
      return this.maintenanceService.start();
    }
    const configured = this.options.maintenance === false ? undefined : this.options.maintenance;
    this.maintenanceService = new Maintenance(this.backend, options ?? configured ?? {});
    this.startDeliveries(options ?? configured ?? {});
    return this.maintenanceService.start();
  }

  /** Webhook delivery beside the maintenance duties: a dispatcher and a worker of the delivery queue. */
  private startDeliveries(options: MaintenanceOptions): void {
    const webhooks = this.webhooks;
    if (webhooks === undefined || this.stopWebhookDelivery !== undefined) return;
    this.stopWebhookDelivery = startWebhookDelivery(webhooks, {
      logger: options.logger,
      startWorker: async () => {
        const worker = new Worker(this.backend, {
          queues: [DELIVERY_QUEUE],
          handlers: { [DELIVERY_JOB_TYPE]: webhooks.handler() },
          concurrency: webhooks.settings.concurrency,
          logger: options.logger,
        });
        await worker.start();
        return () => worker.stop();
      },
    });
  }

  /** This Sluice's maintenance once started (by the first worker or startMaintenance); stop() stops it. */
  get maintenance(): Maintenance | undefined {
    return this.maintenanceService;
  }

  /** Stops this instance's workers gracefully, then its maintenance, then closes the backend. Idempotent. */
  async close(options: { graceMs?: number } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.workers].map((w) => w.stop(options)));
    await this.stopWebhookDelivery?.();
    await this.maintenanceService?.stop();
    await this.backend.close();
  }
}
