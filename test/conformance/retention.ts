import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { Backend } from '../../src/core/backend.js';
import { type BackendFactory, backendTest, claimOne, enqueueOne, leaseOf } from './harness.js';

const HOUR = 3_600_000;

async function succeeded(backend: Backend): Promise<string> {
  const job = await enqueueOne(backend);
  const c = await claimOne(backend);
  await backend.complete({ items: [{ ...leaseOf(c), output: null }] });
  return job.id;
}

async function failed(backend: Backend): Promise<string> {
  const job = await enqueueOne(backend);
  const c = await claimOne(backend);
  await backend.fail({ items: [{ ...leaseOf(c), outcome: 'fail', error: { code: 'E', message: 'e' } }] });
  return job.id;
}

async function cancelled(backend: Backend): Promise<string> {
  const job = await enqueueOne(backend);
  await backend.cancel({ id: job.id });
  return job.id;
}

/** purgeFinished deletes only finished jobs older than the given ages. */
export function retentionSuite(factory: BackendFactory): void {
  describe('retention', () => {
    const it = backendTest(factory);

    it('deletes succeeded and cancelled jobs that finished long enough ago, nothing else', async ({ backend, clock }) => {
      const oldDone = await succeeded(backend);
      const oldCancelled = await cancelled(backend);
      const oldWaiting = await enqueueOne(backend, { queue: 'idle' });
      const oldRunning = await enqueueOne(backend, { queue: 'busy' });
      await claimOne(backend, { queues: ['busy'], leaseMs: 100 * HOUR });
      const oldScheduled = await enqueueOne(backend, { delayMs: 100 * HOUR });
      clock.advance(2 * HOUR);
      const newDone = await succeeded(backend);
      clock.advance(30 * 60_000);

      assert.equal(await backend.purgeFinished({ finishedOlderThanMs: HOUR }), 2);
      assert.equal(await backend.get({ id: oldDone }), null);
      assert.equal(await backend.get({ id: oldCancelled }), null);
      for (const id of [newDone, oldWaiting.id, oldRunning.id, oldScheduled.id]) {
        assert.ok(await backend.get({ id }), `job ${id} must survive`);
      }
      assert.equal(await backend.purgeFinished({ finishedOlderThanMs: HOUR }), 0);
    });

    it('failed jobs (the dead-letter queue) have their own, longer age', async ({ backend, clock }) => {
      const dead = await failed(backend);
      const done = await succeeded(backend);
      clock.advance(2 * HOUR);
      assert.equal(await backend.purgeFinished({ finishedOlderThanMs: HOUR, failedOlderThanMs: 24 * HOUR }), 1);
      assert.equal(await backend.get({ id: done }), null);
      assert.ok(await backend.get({ id: dead }));
      clock.advance(23 * HOUR);
      assert.equal(await backend.purgeFinished({ finishedOlderThanMs: HOUR, failedOlderThanMs: 24 * HOUR }), 1);
      assert.equal(await backend.get({ id: dead }), null);
    });

    it('failed jobs default to the finished age', async ({ backend, clock }) => {
      const dead = await failed(backend);
      clock.advance(HOUR + 1);
      assert.equal(await backend.purgeFinished({ finishedOlderThanMs: HOUR }), 1);
      assert.equal(await backend.get({ id: dead }), null);
    });

    it('honours a limit', async ({ backend, clock }) => {
      await succeeded(backend);
      await succeeded(backend);
      await cancelled(backend);
      clock.advance(HOUR + 1);
      assert.equal(await backend.purgeFinished({ finishedOlderThanMs: HOUR, limit: 2 }), 2);
      assert.equal(await backend.purgeFinished({ finishedOlderThanMs: HOUR, limit: 2 }), 1);
      assert.equal(await backend.purgeFinished({ finishedOlderThanMs: HOUR, limit: 2 }), 0);
    });

    it('a job finished exactly at the threshold is kept', async ({ backend, clock }) => {
      const done = await succeeded(backend);
      clock.advance(HOUR);
      assert.equal(await backend.purgeFinished({ finishedOlderThanMs: HOUR }), 0);
      assert.ok(await backend.get({ id: done }));
    });
  });
}
