import { type Fault, pause } from '../fault.js';

/** SIGKILL the API three times, 700 ms into each life, while the client submits (bursts of 8 in
 * flight), and start it again on the same port; the client retries with the same idempotency keys. */
export const apiKillDuringSubmit: Fault = {
  name: 'API SIGKILL during submits',
  describe:
    'SIGKILL the API every 700 ms while 8 submissions are in flight, restart it on the same port; the client retries with its idempotency keys',
  appliesTo: () => true,
  async inject(run) {
    let kills = 0;
    while (!run.submitting.aborted && kills < 3) {
      await pause(700, run.submitting);
      if (run.submitting.aborted) break;
      await run.api.restart('SIGKILL');
      kills++;
    }
    run.note(`${kills} API kills`);
  },
};
