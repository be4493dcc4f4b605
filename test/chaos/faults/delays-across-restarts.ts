import { effectJobs, type Fault, pause, type SubmissionSpec } from '../fault.js';

/** Delayed jobs (1–3 s) whose delay spans a restart of everything: every worker and the API are
 * SIGKILLed while the jobs wait, and started again; the jobs must still run, once. */
export const delaysAcrossRestarts: Fault = {
  name: 'delays across restarts',
  describe: 'submit jobs delayed 1–3 s, SIGKILL the API and every worker while they wait, start them again',
  appliesTo: () => true,
  submissions(count) {
    return effectJobs(count).map(
      (job, i): SubmissionSpec => ({ ...job, spec: { ...job.spec, delayMs: 1000 + ((i * 211) % 2000) } }),
    );
  },
  async inject(run) {
    await run.submitted;
    for (const worker of run.workers.running) worker.child.kill('SIGKILL');
    await run.api.restart('SIGKILL');
    await pause(1500);
  },
};
