import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runConformance } from '../conformance/index.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { MemoryBackend } from '../helpers/memory-backend.js';
import { assertReclaimFollowsPolicy } from '../helpers/reclaim-policy-check.js';

// The unit tests' fake backend passes the same suite as the real adapters, so what the worker's
// unit tests prove against it holds against them too. Its "other handles" share one store.
runConformance('memory (test fake)', async ({ clock }) => {
  const backend = new MemoryBackend({ clock });
  return { backend, openAnother: async () => backend, cleanup: () => backend.close() };
});

test('the memory fake declares exactly its capabilities (a flipped flag is a red test)', async () => {
  const backend = new MemoryBackend({ clock: new FakeClock() });
  try {
    assert.deepEqual(backend.capabilities, {
      crossProcessEvents: false,
      multiMachine: false,
      claimById: true,
      tenantClaims: true,
      rateBudgets: true,
      usage: true,
      outputText: true,
      eventLog: true,
      records: true,
    });
  } finally {
    await backend.close();
  }
});

test('memory fake: reclaim decides every case as core reclaim policy does', async () => {
  const clock = new FakeClock();
  const backend = new MemoryBackend({ clock });
  await assertReclaimFollowsPolicy(backend, clock);
});
