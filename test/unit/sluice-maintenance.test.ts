import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { ReclaimResult } from '../../src/core/backend.js';
import { ErrorCodes, SluiceError } from '../../src/core/errors.js';
import { Maintenance, Sluice } from '../../src/index.js';
import { deferred, type Harness, makeHarness } from './worker/harness.js';

const handlers = { echo: async () => null };

describe('Sluice maintenance', () => {
  let h: Harness;
  let sluice: Sluice | undefined;
  beforeEach(() => {
    h = makeHarness();
  });
  afterEach(async () => {
    await sluice?.close({ graceMs: 0 });
    sluice = undefined;
    await h.cleanup();
  });

  test("the first worker starts the reaper, which puts back a dead worker's job", async () => {
    const [job] = await h.enqueue({});
    await h.backend.claim({ queues: ['default'], limit: 1, leaseMs: 1_000, workerId: 'crashed' });
    h.clock.advance(1_000);
    const reclaimed = deferred<ReclaimResult>();
    sluice = Sluice.fromBackend(h.backend, { maintenance: { reaper: { intervalMs: 10, onReclaim: reclaimed.resolve } } });
    assert.equal(sluice.maintenance, undefined, 'nothing runs before a worker');
    sluice.worker({ handlers });
    assert.deepEqual(await reclaimed.promise, { requeued: 1, failed: 0 });
    assert.equal((await h.job(job!.id)).status, 'queued');
  });

  test('one Maintenance per Sluice however many workers; close() stops it', async () => {
    sluice = Sluice.fromBackend(h.backend);
    sluice.worker({ handlers });
    const maintenance = sluice.maintenance;
    assert.ok(maintenance instanceof Maintenance);
    assert.equal(maintenance.running, true);
    sluice.worker({ handlers });
    assert.equal(sluice.maintenance, maintenance);
    assert.equal(sluice.startMaintenance(), maintenance);
    await sluice.close();
    assert.equal(maintenance.running, false);
  });

  test('maintenance: false: a worker starts none; startMaintenance() still can', async () => {
    sluice = Sluice.fromBackend(h.backend, { maintenance: false });
    sluice.worker({ handlers });
    assert.equal(sluice.maintenance, undefined);
    const maintenance = sluice.startMaintenance({ retention: false });
    assert.equal(maintenance.running, true);
    assert.deepEqual(maintenance.options, { retention: false });
  });

  test('startMaintenance without a worker; a later worker uses it', async () => {
    sluice = Sluice.fromBackend(h.backend);
    const maintenance = sluice.startMaintenance({ reaper: { intervalMs: 10 } });
    sluice.worker({ handlers });
    assert.equal(sluice.maintenance, maintenance);
  });

  test('a stopped Maintenance is not restarted by a worker, but by startMaintenance()', async () => {
    sluice = Sluice.fromBackend(h.backend);
    const maintenance = sluice.startMaintenance();
    await maintenance.stop();
    sluice.worker({ handlers });
    assert.equal(maintenance.running, false);
    sluice.startMaintenance();
    assert.equal(maintenance.running, true);
  });

  test('options once it exists are a SLUICE_CONFIG error; after close a SLUICE_SHUTTING_DOWN one', async () => {
    sluice = Sluice.fromBackend(h.backend);
    sluice.worker({ handlers });
    assert.throws(
      () => sluice!.startMaintenance({ reaper: false }),
      (error: unknown) => error instanceof SluiceError && error.code === ErrorCodes.config,
    );
    await sluice.close();
    assert.throws(
      () => sluice!.startMaintenance(),
      (error: unknown) => error instanceof SluiceError && error.code === ErrorCodes.shuttingDown,
    );
  });
});
