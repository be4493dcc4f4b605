import { type NewJob, toNewJob } from '../core/new-job.js';
import { deliveryAttempts, deliveryBackoff } from './retry-schedule.js';
import { DELIVERY_JOB_TYPE, DELIVERY_QUEUE, type ResolvedWebhookSettings } from './settings.js';

/** The input of a delivery job: which record to deliver. */
export interface DeliveryJobInput {
  jobId: string;
  deliveryId: string;
}

/** The job that carries one delivery (`idempotencyKey`: one job per delivery, whoever enqueues it). */
export function deliveryJob(input: DeliveryJobInput, idempotencyKey: string, settings: ResolvedWebhookSettings): NewJob {
  return toNewJob({
    type: DELIVERY_JOB_TYPE,
    queue: DELIVERY_QUEUE,
    input,
    idempotencyKey,
    maxAttempts: deliveryAttempts(settings.retryForMs, settings.retryDelayMs),
    backoff: deliveryBackoff(settings.retryDelayMs),
    // The attempt's own bound is the POST's timeout; this one only catches a handler that hangs.
    timeoutMs: settings.timeoutMs + 5_000,
  });
}
