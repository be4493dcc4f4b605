import assert from 'node:assert/strict';
import type { Backend } from '../../src/core/backend.js';
import type { Job } from '../../src/core/job.js';
import { toNewJob } from '../../src/core/new-job.js';
import { LEASE_EXPIRED_ERROR, reclaimOutcome } from '../../src/core/reclaim-policy.js';
import type { FakeClock } from './fake-clock.js';

/** One row of the table: how a job reaches the attempt whose lease then expires. */
export interface ReclaimCase {
  name: string;
  maxAttempts: number;
  /** Attempts before the expiring one, each ended by a retry (they count). */
  retried: number;
  /** Claims given back before the expiring one (they do not count). */
  released?: number;
  /** The job is cancelled while it runs: the reaper must leave it alone. */
  cancelled?: boolean;
  /** The lease is still live when the reaper runs. */
  live?: boolean;
}

/** Every way a reclaimed job can go, and the two ways it must not be touched. */
export const RECLAIM_CASES: readonly ReclaimCase[] = [
  { name: 'first of three attempts expires', maxAttempts: 3, retried: 0 },
  { name: 'second of three attempts expires', maxAttempts: 3, retried: 1 },
  { name: 'last of three attempts expires', maxAttempts: 3, retried: 2 },
  { name: 'the only attempt (maxAttempts 1) expires', maxAttempts: 1, retried: 0 },
  { name: 'a released claim does not use up the last attempt', maxAttempts: 2, retried: 1, released: 1 },
  { name: 'cancelled while running', maxAttempts: 3, retried: 0, cancelled: true },
  { name: 'live lease', maxAttempts: 1, retried: 0, live: true },
];

const LEASE_MS = 1000;

/**
 * Drives every case of RECLAIM_CASES through `backend` (one queue per case), lets the leases run
 * out, reclaims them all in one pass and checks each job, the pass's counts and its events against
 * core's reference decision (reclaimOutcome, LEASE_EXPIRED_ERROR): an adapter whose statement or
 * script decides on its own must still decide the same.
 */
export async function assertReclaimFollowsPolicy(backend: Backend, clock: FakeClock): Promise<void> {
  const before = new Map<ReclaimCase, Job>();
  for (const [i, c] of RECLAIM_CASES.entries()) {
    const queue = `reclaim-case-${i}`;
    const [enqueued] = await backend.enqueue({
      jobs: [toNewJob({ type: 't', queue, input: { i }, maxAttempts: c.maxAttempts })],
    });
    const id = enqueued!.job.id;
    const claimOne = async (leaseMs = LEASE_MS) => {
      const [job] = await backend.claim({ queues: [queue], limit: 1, leaseMs, workerId: 'w' });
      assert.equal(job?.id, id, `${c.name}: claimed`);
      return { id, leaseToken: job.leaseToken };
    };
    for (let n = 0; n < (c.released ?? 0); n++) await backend.release({ items: [await claimOne()] });
    for (let n = 0; n < c.retried; n++) {
      const lease = await claimOne();
      await backend.fail({ items: [{ ...lease, outcome: 'retry', delayMs: 0, error: { code: 'E', message: 'retry' } }] });
    }
    await claimOne(c.live ? 10 * LEASE_MS : LEASE_MS);
    if (c.cancelled) await backend.cancel({ id });
    const job = await backend.get({ id });
    assert.ok(job, c.name);
    before.set(c, job);
  }
  clock.advance(LEASE_MS);
  const now = clock.now();

  const requeuedIds: string[] = [];
  const finishedIds: string[] = [];
  const offRequeued = backend.events.on('job:requeued', ({ id }) => requeuedIds.push(id), { local: true });
  const offFinished = backend.events.on('job:finished', ({ job }) => finishedIds.push(job.id), { local: true });
  let result: Awaited<ReturnType<Backend['reclaimExpired']>>;
  try {
    result = await backend.reclaimExpired();
  } finally {
    offRequeued();
    offFinished();
  }

  const expected = { requeued: [] as string[], failed: [] as string[] };
  for (const [c, job] of before) {
    const after = await backend.get({ id: job.id });
    assert.ok(after, c.name);
    if (c.cancelled || c.live) {
      assert.equal(after.status, job.status, `${c.name}: untouched`);
      assert.equal(after.attempts, job.attempts, `${c.name}: untouched`);
      assert.deepEqual(after.error, job.error, `${c.name}: untouched`);
      continue;
    }
    const outcome = reclaimOutcome(job);
    expected[outcome === 'queued' ? 'requeued' : 'failed'].push(job.id);
    assert.equal(after.status, outcome, `${c.name}: attempt ${job.attempts} of ${job.maxAttempts}`);
    assert.equal(after.attempts, job.attempts, `${c.name}: the expired attempt counts once`);
    assert.deepEqual(after.error, LEASE_EXPIRED_ERROR, `${c.name}: error`);
    assert.equal(after.runAt, job.runAt, `${c.name}: keeps its place in line`);
    assert.equal(after.finishedAt, outcome === 'failed' ? now : undefined, `${c.name}: finishedAt`);
  }
  // The table must exercise both outcomes, or it proves nothing about the decision.
  assert.ok(expected.requeued.length > 0 && expected.failed.length > 0);
  assert.deepEqual(result, { requeued: expected.requeued.length, failed: expected.failed.length });
  assert.deepEqual(requeuedIds.sort(), expected.requeued.sort(), 'job:requeued for each job put back');
  assert.deepEqual(finishedIds.sort(), expected.failed.sort(), 'job:finished for each job failed');
}
