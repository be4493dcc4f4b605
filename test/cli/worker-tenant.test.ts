import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Sluice } from '../../src/sluice.js';
import { SluiceProcess } from '../helpers/spawn-sluice.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const temp = makeTempDir();
const procs: SluiceProcess[] = [];
after(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  temp.cleanup();
});

test("sluice worker --tenant runs that tenant's jobs only; another tenant's stay queued", async () => {
  const backend = `sqlite:${join(temp.dir, 'tenant.db')}`;
  const proc = new SluiceProcess(['worker', '--tenant', 'alice'], { SLUICE_BACKEND: backend, SLUICE_POLL_INTERVAL_MS: '50' });
  procs.push(proc);
  const started = await proc.waitForLog(/worker started/);
  assert.equal(started.tenant, 'alice');

  const sluice = await Sluice.connect(backend, { maintenance: false });
  try {
    // Bob's jobs come first and rank higher: a worker that claimed every tenant's jobs would have
    // taken them before Alice's (its four slots fit all three).
    const bobs = [
      await sluice.enqueue({ type: 'noop', input: 'b1', priority: 9 }, { tenant: 'bob' }),
      await sluice.enqueue({ type: 'noop', input: 'b2', priority: 9 }, { tenant: 'bob' }),
    ];
    const alice = await sluice.enqueue({ type: 'noop', input: 'a1' }, { tenant: 'alice' });
    const done = await sluice.waitFor(alice.id, { tenant: 'alice', timeoutMs: 30_000, pollIntervalMs: 50 });
    assert.equal(done.status, 'succeeded');
    assert.deepEqual(done.output, 'a1');
    for (const job of bobs) assert.equal((await sluice.getOrThrow(job.id)).status, 'queued', "bob's jobs stay queued");
  } finally {
    await sluice.close();
  }
  proc.kill('SIGTERM');
  assert.equal((await proc.exited).code, 0, proc.stderr);
});
