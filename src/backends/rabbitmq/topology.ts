/**
 * RabbitMQ names and mappings of the adapter: which queue a job's message goes to, its AMQP
 * priority, and the wait queue of a delay. Pure functions, so the mapping is testable and documented
 * in one place (docs/rabbitmq.md).
 */

/** Highest AMQP priority used (`x-max-priority` of every work queue). Classic queues keep one
 * internal queue per priority level, so fewer levels cost less memory and CPU. */
export const MAX_AMQP_PRIORITY = 8;

/**
 * Maps a Sluice priority (−1000..1000) onto 0..8, logarithmically around 0 so that the small
 * priorities people actually use stay apart: 0 → 4; 1..9 → 5; 10..99 → 6; 100..999 → 7; 1000 → 8;
 * and the mirror image below 0 (−1..−9 → 3 … −1000 → 0). Jobs in one bucket are delivered in
 * publish order (FIFO), not by their exact priority.
 */
export function amqpPriority(priority: number): number {
  if (priority === 0) return 4;
  const magnitude = Math.min(4, Math.floor(Math.log10(Math.abs(priority))) + 1);
  return priority > 0 ? 4 + magnitude : 4 - magnitude;
}

/** Delays that have a wait queue (ms). Longer delays chain through the largest one. */
export const DELAY_BUCKETS_MS = [
  1_000, 2_000, 5_000, 10_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000, 10_800_000, 21_600_000,
  43_200_000, 86_400_000,
] as const;

/**
 * The wait queue for a remaining delay: the largest bucket that does not overshoot it (the smallest
 * bucket for delays under a second). A message that comes back before its job is due is sent to
 * wait again for the rest, so the delay is never cut short and at most about a second late.
 */
export function delayBucketMs(remainingMs: number): number {
  let chosen: number = DELAY_BUCKETS_MS[0];
  for (const bucket of DELAY_BUCKETS_MS) if (bucket <= remainingMs) chosen = bucket;
  return chosen;
}

/** The durable work queue of one Sluice queue. */
export function workQueueName(prefix: string, queue: string): string {
  return `${prefix}.${queue}`;
}

/** The wait queue of one Sluice queue and delay: its messages dead-letter into the work queue. */
export function waitQueueName(prefix: string, queue: string, bucketMs: number): string {
  return `${prefix}.${queue}.wait.${bucketMs}`;
}

/** The durable direct exchange that failed jobs' copies are published to (routing key: the Sluice queue). */
export function deadLetterExchangeName(prefix: string): string {
  return `${prefix}.dlx`;
}

/** The durable queue of one Sluice queue's failed-job copies (bound to the dead-letter exchange). */
export function deadQueueName(prefix: string, queue: string): string {
  return `${prefix}.${queue}.dead`;
}
