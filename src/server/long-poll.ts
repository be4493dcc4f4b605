import type { FastifyReply } from 'fastify';
import { ErrorCodes, hasErrorCode, NotFoundError } from '../core/errors.js';
import type { Job } from '../core/job.js';
import type { Sluice } from '../sluice.js';

/**
 * Long-polls for jobs to end (`GET /v1/jobs/{id}?wait=S`). Each wait stops early when the job ends,
 * when the client disconnects (so an abandoned poll holds no listener or timer), or when the app
 * closes (so shutdown never waits out a long poll).
 */
export class LongPolls {
  private readonly pending = new Set<AbortController>();

  constructor(private readonly sluice: Sluice) {}

  /** How many waits are in progress (tests, metrics). */
  get size(): number {
    return this.pending.size;
  }

  /**
   * Resolves with the job once it has ended, or with its current state when `seconds` run out or
   * the wait is cut short. Throws NotFoundError for an unknown (or another tenant's) job.
   */
  async wait(id: string, seconds: number, tenant: string | undefined, reply: FastifyReply): Promise<Job> {
    const controller = new AbortController();
    const onClose = () => {
      // 'close' also fires after a normal response; only a connection gone before the answer matters.
      if (!reply.raw.writableFinished) controller.abort();
    };
    reply.raw.once('close', onClose);
    this.pending.add(controller);
    try {
      return await this.sluice.waitFor(id, { timeoutMs: Math.round(seconds * 1000), signal: controller.signal, tenant });
    } catch (error) {
      if (hasErrorCode(error, ErrorCodes.notFound)) throw error;
      if (!hasErrorCode(error, ErrorCodes.timeout) && !controller.signal.aborted) throw error;
      const job = await this.sluice.get(id, { tenant });
      if (!job) throw new NotFoundError(`job ${id} not found`);
      return job;
    } finally {
      this.pending.delete(controller);
      reply.raw.off('close', onClose);
    }
  }

  /** Ends every wait now: each answers with the job's current state. */
  abortAll(): void {
    for (const controller of this.pending) controller.abort();
  }
}
