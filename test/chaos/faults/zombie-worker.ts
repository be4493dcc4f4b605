import { type Fault, pause } from '../fault.js';

/** Freeze one worker (SIGSTOP) past its lease while it holds jobs, then wake it (SIGCONT): its late
 * completions must be fenced out, the jobs finished by the others count once. */
export const zombieWorker: Fault = {
  name: 'zombie worker',
  describe: 'SIGSTOP a worker holding jobs for 2.5 leases, then SIGCONT it: its late writes must be refused',
  appliesTo: () => true,
  async inject(run) {
    await pause(500);
    let frozen = 0;
    for (let round = 0; round < 2; round++) {
      const victim = run.workers.running[0];
      if (!victim) break;
      victim.child.kill('SIGSTOP');
      frozen++;
      await pause(run.leaseMs * 2.5);
      victim.child.kill('SIGCONT');
      await pause(300);
    }
    run.note(`${frozen} workers frozen`);
    await run.submitted;
  },
};
