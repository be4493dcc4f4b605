import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { EnqueueResult } from '../../src/core/backend.js';
import { ErrorCodes, SluiceError } from '../../src/core/errors.js';
import { type NewJob, toNewJob } from '../../src/core/new-job.js';
import { EnqueueCoalescer } from '../../src/enqueue-coalescer.js';
import { Sluice } from '../../src/sluice.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { MemoryBackend } from '../helpers/memory-backend.js';

/** A write the test finishes by hand, recording what each call carried. */
function manualWrite() {
  const calls: Array<{ jobs: NewJob[]; finish: (error?: Error) => void }> = [];
  const write = (jobs: NewJob[]) =>
    new Promise<EnqueueResult[]>((resolve, reject) => {
      calls.push({
        jobs,
        finish: (error) =>
          error
            ? reject(error)
            : resolve(jobs.map((job) => ({ job: { id: job.id, input: job.input } as EnqueueResult['job'], created: true }))),
      });
    });
  return { calls, write };
}

const job = (input: number) => toNewJob({ type: 'noop', input });

/** A write that settles at once (as SQLite's does), recording the inputs each call carried. */
function immediateWrite() {
  const writes: unknown[][] = [];
  const write = async (jobs: NewJob[]): Promise<EnqueueResult[]> => {
    writes.push(jobs.map((j) => j.input));
    return jobs.map((j) => ({ job: { id: j.id, input: j.input } as EnqueueResult['job'], created: true }));
  };
  return { writes, write };
}

/**
 * Calls `call(i)` for each input from its own callback of one setImmediate batch: separate
 * macrotasks of one event-loop turn, as sockets read in one poll phase. `inTurn` runs after them,
 * still in that turn. Resolves with what the calls returned.
 */
function fromSeparateCallbacks<T>(inputs: number[], call: (i: number) => T, inTurn: () => void = () => {}): Promise<T[]> {
  return new Promise((resolve) => {
    const all: T[] = [];
    for (const i of inputs) setImmediate(() => all.push(call(i)));
    setImmediate(() => {
      inTurn();
      resolve(all);
    });
  });
}

describe('EnqueueCoalescer', () => {
  test('a lone enqueue is written at once, by itself', async () => {
    const { calls, write } = manualWrite();
    const coalescer = new EnqueueCoalescer(write, 100);
    const done = coalescer.enqueue(job(1));
    assert.equal(calls.length, 1, 'no waiting for company');
    assert.equal(calls[0]?.jobs.length, 1);
    calls[0]?.finish();
    assert.equal((await done).job.input, 1);
  });

  test('enqueues made during a write go together in the next one, in order, each told its own result', async () => {
    const { calls, write } = manualWrite();
    const coalescer = new EnqueueCoalescer(write, 100);
    const first = coalescer.enqueue(job(0));
    const rest = [1, 2, 3].map((i) => coalescer.enqueue(job(i)));
    assert.equal(calls.length, 1);
    calls[0]?.finish();
    await first;
    while (calls.length < 2) await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(
      calls[1]?.jobs.map((j) => j.input),
      [1, 2, 3],
    );
    calls[1]?.finish();
    assert.deepEqual(
      (await Promise.all(rest)).map((r) => r.job.input),
      [1, 2, 3],
    );
  });

  test('a failed write rejects the jobs it carried, and the next write still goes', async () => {
    const { calls, write } = manualWrite();
    const coalescer = new EnqueueCoalescer(write, 100);
    const first = coalescer.enqueue(job(0));
    const second = coalescer.enqueue(job(1));
    calls[0]?.finish(new Error('database is locked'));
    await assert.rejects(first, /database is locked/);
    while (calls.length < 2) await new Promise((resolve) => setImmediate(resolve));
    calls[1]?.finish();
    assert.equal((await second).job.input, 1);
  });

  test('a shared write that fails is split until only the job at fault fails', async () => {
    const writes: number[][] = [];
    const poison = 137;
    const write = async (jobs: NewJob[]): Promise<EnqueueResult[]> => {
      writes.push(jobs.map((j) => j.input as number));
      if (jobs.some((j) => j.input === poison)) throw new Error('value too deep for the store');
      return jobs.map((j) => ({ job: { id: j.id, input: j.input } as EnqueueResult['job'], created: true }));
    };
    const coalescer = new EnqueueCoalescer(write, 1000);
    const inputs = Array.from({ length: 300 }, (_, i) => i);
    const outcomes = await Promise.allSettled(inputs.map((i) => coalescer.enqueue(job(i))));
    const failed = inputs.filter((i) => outcomes[i]?.status === 'rejected');
    assert.deepEqual(failed, [poison]);
    for (const i of inputs) {
      const outcome = outcomes[i]!;
      if (outcome.status === 'fulfilled') assert.equal(outcome.value.job.input, i);
    }
    assert.match(String((outcomes[poison] as PromiseRejectedResult).reason), /too deep/);
    // Halving: a few writes per level, not one per job.
    assert.ok(writes.length < 40, `${writes.length} writes`);
  });

  test('an outage is not split: every job of the write fails with it, in that one write', async () => {
    let writes = 0;
    const write = async (): Promise<EnqueueResult[]> => {
      writes++;
      throw new SluiceError(ErrorCodes.backendUnavailable, 'connection refused');
    };
    const coalescer = new EnqueueCoalescer(write, 1000);
    const outcomes = await Promise.allSettled([0, 1, 2, 3].map((i) => coalescer.enqueue(job(i))));
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['rejected', 'rejected', 'rejected', 'rejected'],
    );
    assert.equal(writes, 2, 'the lone first write, then the other three together');
  });

  test('a write that throws at once rejects its jobs instead of leaving them hanging', async () => {
    const coalescer = new EnqueueCoalescer(() => {
      throw new Error('closed');
    }, 100);
    await assert.rejects(coalescer.enqueue(job(0)), /closed/);
    await assert.rejects(coalescer.enqueue(job(1)), /closed/);
  });

  test('tells its owner when it is idle: the last write done and nothing waiting', async () => {
    const { calls, write } = manualWrite();
    let idle = 0;
    const coalescer = new EnqueueCoalescer(write, 100, () => idle++);
    const first = coalescer.enqueue(job(0));
    const second = coalescer.enqueue(job(1));
    calls[0]?.finish();
    await first;
    while (calls.length < 2) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(idle, 0, 'a write is still in flight');
    calls[1]?.finish();
    await second;
    while (idle === 0) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(idle, 1);
  });

  test('a synchronous store: calls arriving in later callbacks of the same event-loop turn share the next write', async () => {
    // SQLite's write is over before the next callback runs, so "during a write" never happens; the
    // turn of the event loop is the window instead.
    const { writes, write } = immediateWrite();
    let idle = 0;
    const coalescer = new EnqueueCoalescer(write, 100, () => idle++, true);
    const results = await fromSeparateCallbacks(
      [0, 1, 2, 3],
      (i) => coalescer.enqueue(job(i)),
      () => {
        assert.deepEqual(writes, [[0]], 'the first is written at once; the others wait for the end of the turn');
        assert.equal(idle, 0, 'not idle while jobs wait');
      },
    );
    assert.deepEqual(
      (await Promise.all(results)).map((r) => r.job.input),
      [0, 1, 2, 3],
    );
    assert.deepEqual(writes, [[0], [1, 2, 3]]);
    while (idle === 0) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(idle, 1);
  });

  test('a store whose writes take a round trip is not made to wait for the end of the turn', async () => {
    // Without `synchronousWrites` a call finding nothing in flight is written at once, even in the
    // turn of an earlier write: such a store gathers behind its writes in flight instead.
    const { writes, write } = immediateWrite();
    const coalescer = new EnqueueCoalescer(write, 100);
    await Promise.all(await fromSeparateCallbacks([0, 1, 2], (i) => coalescer.enqueue(job(i))));
    assert.deepEqual(writes, [[0], [1], [2]]);
  });

  test('a caller awaiting each enqueue in turn gets every job written, one write each', async () => {
    const { writes, write } = immediateWrite();
    const coalescer = new EnqueueCoalescer(write, 100);
    for (let i = 0; i < 5; i++) assert.equal((await coalescer.enqueue(job(i))).job.input, i);
    assert.deepEqual(writes, [[0], [1], [2], [3], [4]]);
  });

  test('no write carries more than maxBatch jobs', async () => {
    const { calls, write } = manualWrite();
    const coalescer = new EnqueueCoalescer(write, 2);
    const all = Promise.all([0, 1, 2, 3, 4].map((i) => coalescer.enqueue(job(i))));
    for (let k = 0; k < 3; k++) {
      while (calls.length <= k) await new Promise((resolve) => setImmediate(resolve));
      calls[k]?.finish();
    }
    assert.deepEqual(
      calls.map((c) => c.jobs.map((j) => j.input)),
      [[0], [1, 2], [3, 4]],
    );
    assert.equal((await all).length, 5);
  });
});

describe('Sluice.enqueue under concurrency', () => {
  test('the facade waits for the end of the turn only on a store that declares synchronousWrites', async (t) => {
    // Four submissions from separate callbacks of one event-loop turn, as sockets read together.
    const writesFor = async (synchronousWrites: boolean): Promise<number> => {
      const backend = new MemoryBackend({ clock: new FakeClock() });
      Object.assign(backend.capabilities, { synchronousWrites });
      const sluice = Sluice.fromBackend(backend);
      const enqueue = t.mock.method(backend, 'enqueue');
      try {
        await Promise.all(await fromSeparateCallbacks([0, 1, 2, 3], (i) => sluice.enqueue({ type: 'noop', input: i })));
        return enqueue.mock.callCount();
      } finally {
        await sluice.close();
      }
    };
    assert.equal(await writesFor(true), 2, 'the first at once, the other three together at the end of the turn');
    assert.equal(await writesFor(false), 4, 'each at once: nothing is in flight to gather behind');
  });

  test('concurrent single enqueues share backend writes; idempotency keys still match across callers', async (t) => {
    const backend = new MemoryBackend({ clock: new FakeClock() });
    const sluice = Sluice.fromBackend(backend);
    const enqueue = t.mock.method(backend, 'enqueue');
    try {
      const results = await Promise.all([
        ...Array.from({ length: 10 }, (_, i) => sluice.submit([{ type: 'noop', input: i }])),
        sluice.submit([{ type: 'noop', input: 'a' }], { idempotencyKey: 'k' }),
        // The same request again (another one with this key is refused: the idempotency conformance).
        sluice.submit([{ type: 'noop', input: 'a' }], { idempotencyKey: 'k' }),
      ]);
      assert.ok(enqueue.mock.callCount() <= 2, `backend writes: ${enqueue.mock.callCount()}`);
      assert.deepEqual(
        results.slice(0, 10).map(([r]) => r?.job.input),
        Array.from({ length: 10 }, (_, i) => i),
      );
      const [a, b] = [results[10]?.[0], results[11]?.[0]];
      assert.equal(a?.created, true);
      assert.equal(b?.created, false);
      assert.equal(b?.job.id, a?.job.id);
      for (const [r] of results) assert.equal((await sluice.get(r!.job.id))?.id, r?.job.id);
      // A write spans one queue: jobs of two queues submitted together never share one.
      enqueue.mock.resetCalls();
      await Promise.all([
        ...Array.from({ length: 4 }, (_, i) => sluice.enqueue({ type: 'noop', queue: 'a', input: i })),
        ...Array.from({ length: 4 }, (_, i) => sluice.enqueue({ type: 'noop', queue: 'b', input: i })),
      ]);
      for (const call of enqueue.mock.calls) {
        const queues = new Set(call.arguments[0].jobs.map((j) => j.queue));
        assert.equal(queues.size, 1, `one write carried queues ${[...queues].join(', ')}`);
      }
      assert.ok(enqueue.mock.callCount() <= 4, `backend writes: ${enqueue.mock.callCount()}`);
    } finally {
      await sluice.close();
    }
  });
});
