import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pg from 'pg';
import { serviceSkipReason } from '../helpers/require-service.js';
import { type BackendName, PG_URL } from './backends.js';
import type { Fault } from './fault.js';
import { connectionResets } from './faults/network.js';
import { workerKillStorm } from './faults/worker-kill-storm.js';
import { zombieWorker } from './faults/zombie-worker.js';
import { failureDetails, markdownReport, passed } from './report.js';
import { runScenario } from './scenario.js';

/**
 * The short chaos run inside `npm test`: few jobs, a subset of the faults per backend. The full
 * matrix is `npm run chaos` (docs/chaos.md).
 *
 * Left out here until their fixes are merged (they stay in `npm run chaos`; docs/chaos.md has the
 * measured table):
 * - PostgreSQL and Redis store silent drop, and Redis store connection resets: API calls hang
 *   past the client's 10 s bound, and keep hanging after the network heals (invariant 7: no
 *   command or query timeout; being fixed by helper "faults": Redis/PostgreSQL hangs, HTTP timeouts).
 * - The other faults pass today but take too long for CI on a loaded machine (process start-up
 *   dominates); they run in `npm run chaos`.
 */
const OPTIONS = { jobs: 20, workers: 2, boundMs: 20_000 };

const pgSkip = await serviceSkipReason('PostgreSQL', PG_URL, async () => {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  await client.connect();
  await client.end();
});
const SHORT: Array<{ backend: BackendName; faults: Fault[]; skip?: string | undefined }> = [
  { backend: 'sqlite', faults: [workerKillStorm, zombieWorker] },
  { backend: 'postgres', faults: [connectionResets('store')], skip: pgSkip },
  // Redis passes its kill storm, but inside node's test runner the file then does not exit (a
  // handle of the Redis set-up stays open; not found yet): Redis runs in `npm run chaos` only.
];

for (const { backend, faults, skip } of SHORT) {
  describe(`chaos (short): ${backend}`, { skip }, () => {
    for (const fault of faults) {
      test(`${fault.name}: nothing lost, stale, stuck, duplicated beyond at-least-once or hung`, {
        timeout: 180_000,
      }, async () => {
        const result = await runScenario(backend, fault, OPTIONS);
        assert.ok(result.verdict.acked > 0, `no job was acknowledged\n${failureDetails([result])}`);
        assert.ok(passed(result), `${markdownReport([result])}\n${failureDetails([result])}`);
      });
    }
  });
}
