import type { Backend, EventLogStore, FeedEvent, RecordStore } from '../core/backend.js';
import type { NewJob } from '../core/new-job.js';
import { deliveryJob } from '../webhooks/delivery-job.js';
import { deliveryBody, deliveryId, targetsOf } from '../webhooks/delivery-plan.js';
import { createDispatchCursor, readDispatchCursor, saveDispatchCursor } from '../webhooks/dispatch-cursor.js';
import {
  type DeliveryRecord,
  deliveriesNs,
  type EndpointRecord,
  endpointsNs,
  JOB_WEBHOOK_NS,
  type JobWebhookRecord,
} from '../webhooks/records.js';
import { DELIVERY_QUEUE, type ResolvedWebhookSettings } from '../webhooks/settings.js';
import type { WorkerLogger } from '../worker/worker-options.js';
import { type StopPeriodicTask, startPeriodicTask } from './periodic-task.js';

/** What the dispatcher needs of the backend: the feed, the record store, enqueue and get. */
export type DispatcherBackend = Pick<Backend, 'enqueue' | 'get' | 'events'> & Pick<EventLogStore, 'feed'> & RecordStore;

/** Events read per pass. */
const PAGE = 500;
/** Jobs whose webhook (or its absence) is remembered. */
const JOB_WEBHOOK_CACHE = 10_000;

/**
 * Turns the event feed into deliveries. A pass reads the feed from the dispatcher's cursor (kept
 * in the record store), writes a delivery record per event and receiver, enqueues a delivery job
 * for each (its idempotency key is the delivery id), then moves the cursor. The event log is the
 * outbox: an event stored with its change is delivered even when every process restarts between,
 * and since every step repeats harmlessly, any number of processes may run a dispatcher — a
 * delivery is made once whoever gets there first. A new dispatcher starts at the feed's end.
 */
export class WebhookDispatcher {
  private readonly jobWebhooks = new Map<string, JobWebhookRecord | null>();

  constructor(
    private readonly backend: DispatcherBackend,
    private readonly settings: ResolvedWebhookSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /** One page of the feed; returns how many events it read (a full page: call again). */
  async pass(): Promise<number> {
    const cursor = await readDispatchCursor(this.backend);
    if (cursor === undefined) {
      await createDispatchCursor(this.backend);
      return 0;
    }
    const page = await this.backend.feed({ after: cursor, limit: PAGE });
    const jobs: NewJob[] = [];
    // Endpoints are read after the page, once per tenant: an endpoint made before any event of
    // the page happened is in the list (one made a moment ago is not missed by a cache).
    const endpoints = new Map<string, EndpointRecord[]>();
    for (const event of page.events) jobs.push(...(await this.deliveriesOf(event, endpoints)));
    if (jobs.length > 0) await this.backend.enqueue({ jobs });
    if (page.cursor !== cursor) await saveDispatchCursor(this.backend, page.cursor);
    return page.events.length;
  }

  /** The delivery jobs of one event (records written first: a job always finds its record). */
  private async deliveriesOf(event: FeedEvent, endpoints: Map<string, EndpointRecord[]>): Promise<NewJob[]> {
    if (event.queue === DELIVERY_QUEUE) return [];
    const targets = targetsOf(event, await this.jobWebhook(event.jobId), await this.endpointsOf(event.tenant, endpoints));
    if (targets.length === 0) return [];
    const job = await this.backend.get({ id: event.jobId });
    const body = deliveryBody(event, job);
    const jobs: NewJob[] = [];
    for (const target of targets) {
      const id = deliveryId(event, target);
      const record: DeliveryRecord = {
        id,
        jobId: event.jobId,
        url: target.url,
        event: { seq: event.seq, type: event.type },
        status: 'pending',
        body,
        attempts: [],
        createdAt: this.now(),
      };
      if (target.endpointId !== undefined) record.endpointId = target.endpointId;
      if (event.tenant !== undefined) record.tenant = event.tenant;
      await this.backend.putRecord({
        namespace: deliveriesNs(event.jobId),
        key: id,
        value: record,
        ifAbsent: true,
        ttlMs: this.settings.keepForMs,
      });
      jobs.push(deliveryJob({ jobId: event.jobId, deliveryId: id }, id, this.settings));
    }
    return jobs;
  }

  private async jobWebhook(jobId: string): Promise<JobWebhookRecord | undefined> {
    let found = this.jobWebhooks.get(jobId);
    if (found === undefined) {
      found = ((await this.backend.getRecord({ namespace: JOB_WEBHOOK_NS, key: jobId })) as JobWebhookRecord | undefined) ?? null;
      if (this.jobWebhooks.size >= JOB_WEBHOOK_CACHE) this.jobWebhooks.delete(this.jobWebhooks.keys().next().value!);
      this.jobWebhooks.set(jobId, found);
    }
    return found ?? undefined;
  }

  private async endpointsOf(tenant: string | undefined, read: Map<string, EndpointRecord[]>): Promise<EndpointRecord[]> {
    const namespace = endpointsNs(tenant);
    let list = read.get(namespace);
    if (list === undefined) {
      list = (await this.backend.listRecords({ namespace })).map((record) => record.value as EndpointRecord);
      read.set(namespace, list);
    }
    return list;
  }
}

export interface WebhookDispatcherOptions {
  logger?: WorkerLogger | undefined;
  onError?: ((error: unknown) => void) | undefined;
}

/**
 * Runs the dispatcher: a pass at once, again at once after a full page, when the backend says an
 * event was appended, and every pollIntervalMs otherwise. Returns the stop function.
 */
export function startWebhookDispatcher(
  dispatcher: WebhookDispatcher,
  backend: Pick<Backend, 'events'>,
  settings: ResolvedWebhookSettings,
  options: WebhookDispatcherOptions = {},
): StopPeriodicTask {
  let wake: (() => void) | undefined;
  const onAppended = ({ queue }: { queue: string }) => {
    if (queue !== DELIVERY_QUEUE) wake?.();
  };
  backend.events.on('events:appended', onAppended);
  const stop = startPeriodicTask(
    async () => {
      while ((await dispatcher.pass()) >= PAGE) {}
      // Sleep until the interval ends or an event is appended, whichever is first.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, settings.pollIntervalMs).unref();
        function done() {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        }
        wake = done;
      });
    },
    {
      intervalMs: 0,
      onError: (error) => {
        options.logger?.warn({ err: error }, 'webhook dispatch pass failed');
        options.onError?.(error);
      },
    },
  );
  return async () => {
    backend.events.off('events:appended', onAppended);
    wake?.();
    await stop();
  };
}
