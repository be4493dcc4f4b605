import { randomBytes } from 'node:crypto';
import type { Backend, EventLogStore, RecordStore } from '../core/backend.js';
import { ConflictError, NotFoundError } from '../core/errors.js';
import type { NewJob } from '../core/new-job.js';
import { RECORD_PAGE_LIMIT } from '../core/ports/record-store.js';
import type { EndpointSpec } from '../core/webhook-spec.js';
import { deliveryHandler } from './deliver.js';
import { deliveryJob } from './delivery-job.js';
import { createDispatchCursor, readDispatchCursor } from './dispatch-cursor.js';
import {
  DEFAULT_WEBHOOK_EVENTS,
  type DeliveryRecord,
  deliveriesNs,
  type EndpointRecord,
  endpointsNs,
  JOB_WEBHOOK_NS,
  type JobWebhookRecord,
} from './records.js';
import { type ResolvedWebhookSettings, resolveWebhookSettings, type WebhookSettings } from './settings.js';
import { SigningKeys } from './signing-keys.js';
import { checkWebhookUrl } from './url-guard.js';

/** The backend roles webhooks stand on. */
export type WebhookBackend = Backend & EventLogStore & RecordStore;

/** A delivery as GET /v1/jobs/{id}/deliveries lists it (the body is left out). */
export type DeliveryView = Omit<DeliveryRecord, 'body' | 'tenant'>;

/**
 * Webhooks as the facade and the API use them: a job's own webhook at submit, a tenant's
 * endpoints, its signing secret, the deliveries of a job and their redelivery. The SSRF guard runs
 * on every URL before anything is stored; the dispatcher and the delivery handler do the rest.
 */
export class Webhooks {
  readonly settings: ResolvedWebhookSettings;
  readonly keys: SigningKeys;
  private readonly armedListeners = new Set<() => void>();
  private knownArmed = false;

  constructor(
    readonly backend: WebhookBackend,
    settings: WebhookSettings = {},
    private readonly now: () => number = Date.now,
  ) {
    this.settings = resolveWebhookSettings(settings);
    this.keys = new SigningKeys(backend, this.settings, now);
  }

  /** The handler of delivery jobs in this process. */
  handler() {
    return deliveryHandler({ records: this.backend, keys: this.keys, settings: this.settings, now: this.now });
  }

  /** True once some process has armed webhooks on this backend (the dispatcher's cursor exists). */
  async armed(): Promise<boolean> {
    return (await readDispatchCursor(this.backend)) !== undefined;
  }

  /**
   * Makes sure the dispatcher's cursor exists before the first webhook is stored: the feed is then
   * read from before that webhook's job's first event, whichever process dispatches.
   */
  async arm(): Promise<void> {
    if (this.knownArmed) return;
    if (!(await this.armed())) await createDispatchCursor(this.backend);
    this.knownArmed = true;
    for (const listener of this.armedListeners) listener();
  }

  /** Tells `listener` when this process arms webhooks (its delivery then starts at once). */
  onArmed(listener: () => void): void {
    this.armedListeners.add(listener);
  }

  offArmed(listener: () => void): void {
    this.armedListeners.delete(listener);
  }

  /** The SSRF guard on the jobs' webhook URLs (`webhook.url`, or `jobs.i.webhook.url` in bulk). */
  async checkJobs(jobs: readonly NewJob[], bulk: boolean): Promise<void> {
    await Promise.all(
      jobs.map((job, i) =>
        job.webhook === undefined
          ? undefined
          : checkWebhookUrl(job.webhook.url, this.settings.policy, {
              resolve: this.settings.resolve,
              field: bulk ? `jobs.${i}.webhook.url` : 'webhook.url',
            }),
      ),
    );
  }

  /** Stores the jobs' own webhooks, before the jobs: a job's events never come before its webhook. */
  async storeJobWebhooks(jobs: readonly NewJob[]): Promise<void> {
    const withHooks = jobs.filter((job) => job.webhook !== undefined);
    if (withHooks.length === 0) return;
    await this.arm();
    await Promise.all(
      withHooks.map((job) => {
        const value: JobWebhookRecord = { url: job.webhook!.url, events: job.webhook!.events ?? [...DEFAULT_WEBHOOK_EVENTS] };
        // Kept while the job may still run: its wait, then the retention of deliveries.
        const wait = Math.max(0, job.delayMs ?? (job.runAt === undefined ? 0 : job.runAt - this.now()));
        return this.backend.putRecord({ namespace: JOB_WEBHOOK_NS, key: job.id, value, ttlMs: wait + this.settings.keepForMs });
      }),
    );
  }

  /** Takes back the webhooks of jobs whose enqueue failed (best effort: an orphan expires anyway). */
  async forgetJobWebhooks(jobs: readonly NewJob[]): Promise<void> {
    await Promise.allSettled(
      jobs
        .filter((job) => job.webhook !== undefined)
        .map((job) => this.backend.deleteRecord({ namespace: JOB_WEBHOOK_NS, key: job.id })),
    );
  }

  /** A new endpoint of `tenant`; with the secret its receiver verifies by. */
  async createEndpoint(tenant: string | undefined, spec: EndpointSpec): Promise<{ endpoint: EndpointRecord; secret?: string }> {
    await checkWebhookUrl(spec.url, this.settings.policy, { resolve: this.settings.resolve, field: 'url' });
    const endpoint: EndpointRecord = {
      id: `we_${randomBytes(12).toString('base64url')}`,
      url: spec.url,
      events: spec.events ?? [...DEFAULT_WEBHOOK_EVENTS],
      createdAt: this.now(),
    };
    if (spec.queues !== undefined) endpoint.queues = spec.queues;
    await this.arm();
    const secret = await this.keys.secretFor(tenant);
    await this.backend.putRecord({ namespace: endpointsNs(tenant), key: endpoint.id, value: endpoint });
    return secret.fromEnvironment ? { endpoint } : { endpoint, secret: secret.secret };
  }

  async listEndpoints(tenant: string | undefined): Promise<EndpointRecord[]> {
    const endpoints: EndpointRecord[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.backend.listRecords({ namespace: endpointsNs(tenant), after });
      endpoints.push(...page.map((record) => record.value as EndpointRecord));
      if (page.length < RECORD_PAGE_LIMIT) return endpoints;
      after = page.at(-1)!.key;
    }
  }

  /** Deletes one endpoint of `tenant`; NotFoundError when it has none by that id. */
  async deleteEndpoint(tenant: string | undefined, id: string): Promise<void> {
    if (!(await this.backend.deleteRecord({ namespace: endpointsNs(tenant), key: id })))
      throw new NotFoundError(`no webhook endpoint ${id}`);
  }

  /** The deliveries of a job `tenant` may see (NotFoundError otherwise), oldest event first. */
  async deliveries(jobId: string, tenant: string | undefined): Promise<DeliveryView[]> {
    await this.visibleJob(jobId, tenant);
    const records = (await this.backend.listRecords({ namespace: deliveriesNs(jobId) })).map(
      (record) => record.value as DeliveryRecord,
    );
    records.sort((a, b) => a.event.seq - b.event.seq || a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
    return records.map(view);
  }

  /**
   * Delivers one delivery again, with the same id and body, in a new delivery job. A delivery still
   * being attempted is a ConflictError (its retries are under way).
   */
  async redeliver(jobId: string, deliveryId: string, tenant: string | undefined): Promise<DeliveryView> {
    await this.visibleJob(jobId, tenant);
    const key = { namespace: deliveriesNs(jobId), key: deliveryId };
    const record = (await this.backend.getRecord(key)) as DeliveryRecord | undefined;
    if (record === undefined) throw new NotFoundError(`job ${jobId} has no delivery ${deliveryId}`);
    if (record.status === 'pending') throw new ConflictError(`delivery ${deliveryId} is still being attempted`, 'deliveryId');
    const job = deliveryJob({ jobId, deliveryId }, `${deliveryId}:again:${record.attempts.length}`, this.settings);
    const again: DeliveryRecord = { ...record, status: 'pending', createdAt: this.now(), deliveryJobId: job.id };
    await this.backend.putRecord({ ...key, value: again, ttlMs: this.settings.keepForMs });
    await this.backend.enqueue({ jobs: [job] });
    return view(again);
  }

  private async visibleJob(jobId: string, tenant: string | undefined): Promise<void> {
    if ((await this.backend.get({ id: jobId, tenant })) === null) throw new NotFoundError(`job ${jobId} not found`);
  }
}

function view(record: DeliveryRecord): DeliveryView {
  const { body: _body, tenant: _tenant, ...rest } = record;
  return rest;
}
