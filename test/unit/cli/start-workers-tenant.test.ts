import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startWorkers } from '../../../src/cli/start-workers.js';
import { loadConfig } from '../../../src/config/config.js';
import { ErrorCodes, SluiceError } from '../../../src/core/errors.js';
import { createLogger } from '../../../src/observability/logger.js';
import { Sluice } from '../../../src/sluice.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { MemoryBackend } from '../../helpers/memory-backend.js';

describe('startWorkers with SLUICE_WORKER_TENANT', () => {
  test('a backend without capabilities.tenantClaims stops start-up naming the variable, before anything runs', async () => {
    const backend = new MemoryBackend({ clock: new FakeClock() });
    backend.capabilities.tenantClaims = false;
    const sluice = Sluice.fromBackend(backend);
    try {
      await assert.rejects(
        startWorkers(sluice, loadConfig({ SLUICE_WORKER_TENANT: 'alice' }), createLogger('silent'), 1),
        (error: unknown) =>
          error instanceof SluiceError &&
          error.code === ErrorCodes.config &&
          error.field === 'SLUICE_WORKER_TENANT' &&
          /^SLUICE_WORKER_TENANT: worker option tenant: backend "memory" does not declare capabilities\.tenantClaims/.test(
            error.message,
          ),
      );
      assert.equal(sluice.maintenance, undefined, 'no maintenance was started');
    } finally {
      await sluice.close();
    }
  });

  test('an API-only process (no worker) does not need the flag', async () => {
    const backend = new MemoryBackend({ clock: new FakeClock() });
    backend.capabilities.tenantClaims = false;
    const sluice = Sluice.fromBackend(backend);
    try {
      const stop = await startWorkers(sluice, loadConfig({ SLUICE_WORKER_TENANT: 'alice' }), createLogger('silent'), 0);
      assert.equal(sluice.maintenance?.running, true, 'started as without the variable');
      await stop();
    } finally {
      await sluice.close();
    }
  });
});
