import type { Webhooks } from '../webhooks/webhooks.js';
import type { WorkerLogger } from '../worker/worker-options.js';
import { startPeriodicTask } from './periodic-task.js';
import { startWebhookDispatcher, WebhookDispatcher } from './webhook-dispatcher.js';

/** How often a process without webhooks looks whether another process armed them. */
export const ARMED_CHECK_MS = 5_000;

export interface WebhookDeliveryOptions {
  /** Starts the worker of the delivery queue (the composition root makes it); returns its stop. */
  startWorker: () => Promise<() => Promise<void>>;
  logger?: WorkerLogger | undefined;
}

/**
 * Webhook delivery in one process: the dispatcher (feed → delivery jobs) and a worker of the
 * delivery queue. Both start once webhooks are armed on the backend (the first job webhook or
 * endpoint, from any process, arms them); until then a process only checks that every few
 * seconds, so a deployment that never uses webhooks pays nothing on its hot path. Returns the stop.
 */
export function startWebhookDelivery(webhooks: Webhooks, options: WebhookDeliveryOptions): () => Promise<void> {
  let stopped = false;
  let stops: Array<() => Promise<void>> = [];
  let starting: Promise<void> | undefined;
  const start = async () => {
    const stopWorker = await options.startWorker();
    const dispatcher = new WebhookDispatcher(webhooks.backend, webhooks.settings);
    const stopDispatcher = startWebhookDispatcher(dispatcher, webhooks.backend, webhooks.settings, { logger: options.logger });
    stops = [stopDispatcher, stopWorker];
    if (stopped) await Promise.all(stops.map((stop) => stop()));
  };
  // The one way in: the periodic check and this process's own arming may both get here (the
  // check's read is still out when a submit arms), and only the first may start delivery, or the
  // second's dispatcher and worker would replace the first's in `stops` and never be stopped.
  const begin = (): Promise<void> | undefined => {
    if (starting === undefined && !stopped) starting = start();
    return starting;
  };
  const stopWatch = startPeriodicTask(
    async () => {
      if (starting !== undefined || stopped || !(await webhooks.armed())) return;
      await begin();
      void stopWatch();
    },
    {
      intervalMs: ARMED_CHECK_MS,
      onError: (error) => options.logger?.warn({ err: error }, 'webhook delivery check failed'),
    },
  );
  // The process that arms webhooks starts delivering at once rather than at its next check.
  const onArmed = () => {
    void begin();
  };
  webhooks.onArmed(onArmed);
  return async () => {
    stopped = true;
    webhooks.offArmed(onArmed);
    await stopWatch();
    await starting;
    await Promise.all(stops.map((stop) => stop()));
  };
}
