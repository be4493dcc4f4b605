import { describe } from 'node:test';
import { badSubmissionsSuite } from './bad-submissions.js';
import { bulkEnqueueSuite } from './bulk-enqueue.js';
import { cancelSuite } from './cancel.js';
import { claimIdsSuite } from './claim-ids.js';
import { claimOrderSuite } from './claim-order.js';
import { claimTenantSuite } from './claim-tenant.js';
import { concurrentClaimersSuite } from './concurrent-claimers.js';
import { deadLetterAndRedriveSuite } from './dead-letter-and-redrive.js';
import { delaysAndRetrySuite } from './delays-and-retry.js';
import { eventLogSuite } from './event-log.js';
import { eventsSuite } from './events.js';
import { expiredLeaseRecoverySuite } from './expired-lease-recovery.js';
import type { BackendFactory } from './harness.js';
import { idempotencySuite } from './idempotency.js';
import { leasesAndFencingSuite } from './leases-and-fencing.js';
import { listAndTenantsSuite } from './list-and-tenants.js';
import { listSummariesSuite, readOutputSuite } from './list-summaries.js';
import { pauseSuite } from './pause.js';
import { rateBudgetsSuite } from './rate-budgets.js';
import { recordsSuite } from './records.js';
import { retentionSuite } from './retention.js';
import { statsSuite } from './stats.js';
import { usageSuite } from './usage.js';

export type { BackendFactory, BackendUnderTest } from './harness.js';

/** Every area of the suite, by the name of its `describe`. */
const AREAS: ReadonlyArray<readonly [string, (factory: BackendFactory) => void]> = [
  ['claim order', claimOrderSuite],
  ['leases and fencing', leasesAndFencingSuite],
  ['expired lease recovery', expiredLeaseRecoverySuite],
  ['delays and retry', delaysAndRetrySuite],
  ['idempotency', idempotencySuite],
  ['cancel', cancelSuite],
  ['pause', pauseSuite],
  ['dead letter and redrive', deadLetterAndRedriveSuite],
  ['retention', retentionSuite],
  ['stats', statsSuite],
  ['bulk enqueue', bulkEnqueueSuite],
  ['bad submissions', badSubmissionsSuite],
  ['list and tenants', listAndTenantsSuite],
  ['list summaries', listSummariesSuite],
  ['read output', readOutputSuite],
  ['concurrent claimers', concurrentClaimersSuite],
  ['events', eventsSuite],
  ['event log', eventLogSuite],
  ['claim by id', claimIdsSuite],
  ['claim by tenant', claimTenantSuite],
  ['rate budgets', rateBudgetsSuite],
  ['usage', usageSuite],
  ['records', recordsSuite],
];

/**
 * The conformance suite every Backend adapter passes. It talks to the port only (no SQL, no keys),
 * so a new adapter runs it unchanged: `runConformance('postgres', factory)` in test/backends/.
 * The factory is called once per test with a fake clock and must return empty storage of its own.
 * `skip` (from serviceSkipReason) skips the whole suite with that message when its service is down.
 * `only` runs just the named areas (a second store under the same transport, where the whole suite
 * would add run time and little coverage).
 */
export function runConformance(
  name: string,
  factory: BackendFactory,
  options: { skip?: string | undefined; only?: readonly string[] | undefined } = {},
): void {
  for (const area of options.only ?? []) {
    if (!AREAS.some(([known]) => known === area)) throw new Error(`unknown conformance area "${area}"`);
  }
  describe(`Backend conformance: ${name}`, { skip: options.skip ?? false }, () => {
    for (const [area, suite] of AREAS) if (options.only === undefined || options.only.includes(area)) suite(factory);
  });
}
