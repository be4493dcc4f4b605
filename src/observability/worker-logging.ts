import type { Worker } from '../worker/worker.js';
import type { Logger } from './logger.js';

/**
 * Logs a worker's job lifecycle: one line when an attempt starts and one when it ends, each with the
 * job's id, type, queue and attempt; the end line adds `outcome` (succeeded, retry, failed, lost,
 * released) and, where the attempt ran, `durationMs`. Endings an operator must look at (failed,
 * lost) are `warn`, the rest `info`. Returns an unsubscribe.
 */
export function logWorkerEvents(worker: Worker, logger: Logger): () => void {
  const ref = (job: { id: string; type: string; queue: string; attempts: number }) => ({
    jobId: job.id,
    type: job.type,
    queue: job.queue,
    attempt: job.attempts,
  });
  const offs = [
    worker.on('job:started', ({ job }) => logger.info(ref(job), 'job started')),
    worker.on('job:succeeded', ({ job, durationMs }) =>
      logger.info({ ...ref(job), outcome: 'succeeded', durationMs }, 'job succeeded'),
    ),
    worker.on('job:retry', ({ job, error, delayMs, durationMs }) =>
      logger.info({ ...ref(job), outcome: 'retry', durationMs, error, delayMs }, 'job attempt failed; retrying'),
    ),
    worker.on('job:failed', ({ job, error, durationMs }) =>
      logger.warn({ ...ref(job), outcome: 'failed', durationMs, error }, 'job failed (dead-letter queue)'),
    ),
    worker.on('job:lost', ({ job, reason }) =>
      logger.warn(
        { ...ref(job), outcome: 'lost', code: reason.code, reason: reason.message },
        'job lease lost (cancelled or reclaimed); attempt discarded',
      ),
    ),
    worker.on('job:released', ({ job }) => logger.info({ ...ref(job), outcome: 'released' }, 'job handed back at shutdown')),
  ];
  return () => {
    for (const off of offs) off();
  };
}
