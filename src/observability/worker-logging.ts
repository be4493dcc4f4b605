import type { Worker } from '../worker/worker.js';
import type { Logger } from './logger.js';

/**
 * Logs a worker's job lifecycle: what an operator needs at `info`/`warn` (retries, failures, lost
 * leases, hand-backs), the per-job chatter at `debug`. Returns an unsubscribe.
 */
export function logWorkerEvents(worker: Worker, logger: Logger): () => void {
  const ref = (job: { id: string; type: string; queue: string; attempts: number }) => ({
    jobId: job.id,
    type: job.type,
    queue: job.queue,
    attempt: job.attempts,
  });
  const offs = [
    worker.on('job:started', ({ job }) => logger.debug(ref(job), 'job started')),
    worker.on('job:succeeded', ({ job, durationMs }) => logger.debug({ ...ref(job), durationMs }, 'job succeeded')),
    worker.on('job:retry', ({ job, error, delayMs }) =>
      logger.info({ ...ref(job), error, delayMs }, 'job attempt failed; retrying'),
    ),
    worker.on('job:failed', ({ job, error }) => logger.warn({ ...ref(job), error }, 'job failed (dead-letter queue)')),
    worker.on('job:lost', ({ job, reason }) =>
      logger.warn(
        { ...ref(job), code: reason.code, reason: reason.message },
        'job lease lost (cancelled or reclaimed); attempt discarded',
      ),
    ),
    worker.on('job:released', ({ job }) => logger.info(ref(job), 'job handed back at shutdown')),
  ];
  return () => {
    for (const off of offs) off();
  };
}
