import assert from 'node:assert/strict';
import { test } from 'node:test';
import { systemClock } from '../../../src/core/clock.js';
import { startWebhookDelivery } from '../../../src/maintenance/webhook-delivery.js';
import { type WebhookBackend, Webhooks } from '../../../src/webhooks/webhooks.js';
import { MemoryBackend } from '../../helpers/memory-backend.js';
import { deferred } from '../worker/harness.js';

/** Lets pending promise continuations run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

test('webhooks armed here while the periodic check is out start delivery once, and stop stops it all', async () => {
  // The check's timers are unref'd; the test holds the event loop open while it waits.
  const keepAlive = setInterval(() => {}, 60_000);
  const backend = new MemoryBackend({ clock: systemClock });
  try {
    const webhooks = new Webhooks(backend as unknown as WebhookBackend, { pollIntervalMs: 20 });
    // The first armed() (the periodic check's) answers only when the test says; later ones are real.
    const checkOut = deferred();
    const answer = deferred<boolean>();
    const realArmed = webhooks.armed.bind(webhooks);
    let checks = 0;
    webhooks.armed = () => {
      checks += 1;
      if (checks > 1) return realArmed();
      checkOut.resolve();
      return answer.promise;
    };
    const workers: Array<{ stopped: boolean }> = [];
    const stop = startWebhookDelivery(webhooks, {
      startWorker: async () => {
        const worker = { stopped: false };
        workers.push(worker);
        return async () => {
          worker.stopped = true;
        };
      },
    });
    await checkOut.promise;
    // A submit in this process arms webhooks: delivery starts at once…
    await webhooks.arm();
    assert.equal(workers.length, 1);
    // …and the check that was out comes back saying armed: it must not start a second delivery.
    answer.resolve(true);
    for (let i = 0; i < 5; i++) await settle();
    await stop();
    assert.equal(workers.length, 1, 'one delivery worker');
    assert.ok(
      workers.every((worker) => worker.stopped),
      'every started worker stopped',
    );
  } finally {
    clearInterval(keepAlive);
    await backend.close();
  }
});
