import { createHash } from 'node:crypto';
import type { Job } from '../core/job.js';
import { toJobJson } from '../core/job-json.js';
import type { FeedEvent } from '../core/ports/event-log.js';
import type { EndpointRecord, JobWebhookRecord } from './records.js';
import { DELIVERY_QUEUE } from './settings.js';

/** Where one event goes. */
export interface DeliveryTarget {
  url: string;
  /** A tenant endpoint; absent for the job's own webhook. */
  endpointId?: string;
}

/**
 * The receivers of one event: the job's own webhook when it asked for this event type, and each
 * live endpoint of the job's tenant whose event types and queues match. Events of the delivery
 * jobs themselves go nowhere (a delivery must not make deliveries).
 */
export function targetsOf(
  event: FeedEvent,
  jobWebhook: JobWebhookRecord | undefined,
  endpoints: readonly EndpointRecord[],
): DeliveryTarget[] {
  if (event.queue === DELIVERY_QUEUE) return [];
  const targets: DeliveryTarget[] = [];
  if (jobWebhook?.events.includes(event.type)) targets.push({ url: jobWebhook.url });
  for (const endpoint of endpoints) {
    if (endpoint.disabledAt !== undefined || !endpoint.events.includes(event.type)) continue;
    if (endpoint.queues !== undefined && !endpoint.queues.includes(event.queue)) continue;
    targets.push({ url: endpoint.url, endpointId: endpoint.id });
  }
  return targets;
}

/**
 * The id of one event's delivery to one target: the same whichever process computes it and
 * however often, so that two dispatchers make one delivery, and the `webhook-id` a receiver
 * deduplicates by never changes across retries.
 */
export function deliveryId(event: { jobId: string; seq: number }, target: DeliveryTarget): string {
  const digest = createHash('sha256')
    .update(
      JSON.stringify([event.jobId, event.seq, target.endpointId ?? null, target.endpointId === undefined ? target.url : null]),
    )
    .digest('base64url');
  return `msg_${digest.slice(0, 27)}`;
}

/**
 * The delivery's body as Standard Webhooks shapes it: `{type, timestamp, data}`, the event's type
 * and time, and the job in `data` (as GET /v1/jobs/{id} shows it when the delivery was made) with
 * the event itself in `data.event`. A job already purged is shown by its id and queue only.
 */
export function deliveryBody(event: FeedEvent, job: Job | null): string {
  const eventJson: Record<string, unknown> = { seq: event.seq, type: event.type, at: new Date(event.at).toISOString() };
  if (event.attempt !== undefined) eventJson.attempt = event.attempt;
  if (event.data !== undefined) eventJson.data = event.data;
  const jobJson = job === null ? { id: event.jobId, queue: event.queue } : toJobJson(job);
  return JSON.stringify({
    type: event.type,
    timestamp: new Date(event.at).toISOString(),
    data: { ...jobJson, event: eventJson },
  });
}
