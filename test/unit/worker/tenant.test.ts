import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import type { Backend, ClaimParams } from '../../../src/core/backend.js';
import { ErrorCodes, SluiceError } from '../../../src/core/errors.js';
import type { Job } from '../../../src/core/job.js';
import { type JobSpec, toNewJob } from '../../../src/core/new-job.js';
import { Sluice } from '../../../src/sluice.js';
import type { Worker, WorkerOptions } from '../../../src/worker/worker.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { collect, makeHarness } from './harness.js';

const handlers = { echo: ({ job }: { job: { input: unknown } }) => job.input };

async function enqueueFor(backend: Backend, tenant: string, spec: Partial<JobSpec>): Promise<Job> {
  const [result] = await backend.enqueue({ jobs: [toNewJob({ type: 'echo', ...spec }, { tenant })] });
  return result!.job;
}

/** Records every claim's parameters; `nextEmpty` resolves at the next claim that found nothing. */
function watchClaims(backend: Backend): { params: ClaimParams[]; nextEmpty: () => Promise<void> } {
  const original = backend.claim.bind(backend);
  const params: ClaimParams[] = [];
  let onEmpty: (() => void) | undefined;
  backend.claim = async (claim) => {
    params.push(claim);
    const jobs = await original(claim);
    if (jobs.length === 0) onEmpty?.();
    return jobs;
  };
  return {
    params,
    nextEmpty: () =>
      new Promise<void>((resolve) => {
        onEmpty = resolve;
      }),
  };
}

/**
 * A worker bound to `alice` runs her jobs only. Bob's jobs are enqueued first and rank higher, so an
 * unscoped claim would have taken them before hers (the worker's concurrency fits all four at
 * once); after her jobs succeeded, a claim that found nothing proves the worker looked again.
 */
async function runsOnlyItsTenant(backend: Backend, makeWorker: (options: WorkerOptions) => Worker): Promise<void> {
  const bobs = [
    await enqueueFor(backend, 'bob', { priority: 9, input: 'b1' }),
    await enqueueFor(backend, 'bob', { priority: 9, input: 'b2' }),
  ];
  const alices = [await enqueueFor(backend, 'alice', { input: 'a1' }), await enqueueFor(backend, 'alice', { input: 'a2' })];
  const claims = watchClaims(backend);
  const worker = makeWorker({ tenant: 'alice', concurrency: 4, pollIntervalMs: 10, handlers });
  const succeeded = collect(worker, 'job:succeeded', 2);
  await worker.start();
  const done = await succeeded;
  await claims.nextEmpty();

  assert.deepEqual(done.map(({ job }) => job.id).sort(), alices.map((job) => job.id).sort());
  for (const job of alices) assert.equal((await backend.get({ id: job.id }))?.status, 'succeeded');
  for (const job of bobs) assert.equal((await backend.get({ id: job.id }))?.status, 'queued', "bob's jobs stay queued");
  assert.ok(claims.params.length >= 2);
  for (const claim of claims.params) assert.equal(claim.tenant, 'alice', 'every claim carries the tenant');
}

function isTenantOptionError(error: unknown): boolean {
  return (
    error instanceof SluiceError &&
    error.code === ErrorCodes.config &&
    error.field === 'tenant' &&
    /worker option tenant/.test(error.message) &&
    /tenantClaims/.test(error.message)
  );
}

describe('a worker bound to a tenant', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  test("on the memory fake: runs its tenant's jobs, another tenant's stay queued", async () => {
    const h = makeHarness();
    cleanups.push(() => h.cleanup());
    await runsOnlyItsTenant(h.backend, (options) => h.worker(options));
  });

  test("on SQLite, through sluice.worker(): runs its tenant's jobs, another tenant's stay queued", async () => {
    const tmp = makeTempDir('sluice-tenant-worker-');
    const sluice = await Sluice.connect(`sqlite:${join(tmp.dir, 'sluice.db')}`, { maintenance: false });
    cleanups.push(async () => {
      await sluice.close({ graceMs: 0 });
      tmp.cleanup();
    });
    await runsOnlyItsTenant(sluice.backend, (options) => sluice.worker(options));
  });

  test("an unbound worker claims with no tenant (every tenant's jobs)", async () => {
    const h = makeHarness();
    cleanups.push(() => h.cleanup());
    await enqueueFor(h.backend, 'bob', {});
    await enqueueFor(h.backend, 'alice', {});
    const claims = watchClaims(h.backend);
    const worker = h.worker({ concurrency: 4, handlers });
    const succeeded = collect(worker, 'job:succeeded', 2);
    await worker.start();
    await succeeded;
    for (const claim of claims.params) assert.equal(claim.tenant, undefined);
  });

  test('a backend without capabilities.tenantClaims refuses the worker at once, naming the option', async () => {
    const h = makeHarness();
    cleanups.push(() => h.cleanup());
    h.backend.capabilities.tenantClaims = false;
    assert.throws(() => h.worker({ tenant: 'alice', handlers }), isTenantOptionError);
    // Through the facade too, and before anything starts: no maintenance is left running.
    const sluice = Sluice.fromBackend(h.backend);
    assert.throws(() => sluice.worker({ tenant: 'alice', handlers }), isTenantOptionError);
    assert.equal(sluice.maintenance, undefined);
    // Without a tenant the same backend serves a worker as before.
    assert.equal(h.worker({ handlers }).state, 'idle');
  });

  test('an empty tenant is a configuration error', () => {
    const h = makeHarness();
    cleanups.push(() => h.cleanup());
    assert.throws(
      () => h.worker({ tenant: '', handlers }),
      (error: unknown) => error instanceof SluiceError && error.code === ErrorCodes.config && error.field === 'tenant',
    );
  });
});
