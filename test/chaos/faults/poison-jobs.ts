import { effectJobs, type Fault, type SubmissionSpec } from '../fault.js';

/** A tenth of the jobs are poison: half crash their worker process, half hang ignoring their abort
 * signal. Each must end `failed` after its attempts, and the normal jobs around them must finish. */
export const poisonJobs: Fault = {
  name: 'poison jobs',
  describe: 'one job in ten crashes its worker process or hangs past its timeout; each must end failed, the rest succeed',
  appliesTo: () => true,
  submissions(count) {
    return effectJobs(count).map((normal, i): SubmissionSpec => {
      if (i % 10 === 3)
        return { spec: { type: 'chaos.crash', maxAttempts: 2, backoff: { type: 'fixed', delayMs: 0 } }, expect: 'failed' };
      if (i % 10 === 7)
        return {
          spec: { type: 'chaos.hang', maxAttempts: 2, timeoutMs: 500, backoff: { type: 'fixed', delayMs: 0 } },
          expect: 'failed',
        };
      return normal;
    });
  },
  async inject(run) {
    await run.submitted;
  },
};
