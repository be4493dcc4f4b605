import { type Fault, pause } from '../fault.js';

/** SIGKILL a random worker every 400 ms while the client submits, and 3 s beyond (the supervisor
 * replaces each one): every job it held must be reclaimed after its lease. */
export const workerKillStorm: Fault = {
  name: 'worker kill storm',
  describe: 'SIGKILL a random worker every 400 ms during the submissions and 3 s after; the supervisor replaces it',
  appliesTo: () => true,
  async inject(run) {
    let kills = 0;
    const storm = async (signal: AbortSignal) => {
      while (!signal.aborted) {
        await pause(400, signal);
        const running = run.workers.running;
        const victim = running[Math.floor(Math.random() * running.length)];
        if (victim && !signal.aborted) {
          victim.child.kill('SIGKILL');
          kills++;
        }
      }
    };
    await storm(run.submitting);
    await storm(AbortSignal.timeout(3000));
    run.note(`${kills} workers killed`);
  },
};
