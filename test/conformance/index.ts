import { describe } from 'node:test';
import { bulkEnqueueSuite } from './bulk-enqueue.js';
import { cancelSuite } from './cancel.js';
import { claimIdsSuite } from './claim-ids.js';
import { claimOrderSuite } from './claim-order.js';
import { concurrentClaimersSuite } from './concurrent-claimers.js';
import { deadLetterAndRedriveSuite } from './dead-letter-and-redrive.js';
import { delaysAndRetrySuite } from './delays-and-retry.js';
import { eventsSuite } from './events.js';
import { expiredLeaseRecoverySuite } from './expired-lease-recovery.js';
import type { BackendFactory } from './harness.js';
import { idempotencySuite } from './idempotency.js';
import { leasesAndFencingSuite } from './leases-and-fencing.js';
import { listAndTenantsSuite } from './list-and-tenants.js';
import { pauseSuite } from './pause.js';
import { rateBudgetsSuite } from './rate-budgets.js';
import { retentionSuite } from './retention.js';
import { statsSuite } from './stats.js';

export type { BackendFactory, BackendUnderTest } from './harness.js';

/**
 * The conformance suite every Backend adapter passes. It talks to the port only (no SQL, no keys),
 * so a new adapter runs it unchanged: `runConformance('postgres', factory)` in test/backends/.
 * The factory is called once per test with a fake clock and must return empty storage of its own.
 * `skip` (from serviceSkipReason) skips the whole suite with that message when its service is down.
 */
export function runConformance(name: string, factory: BackendFactory, options: { skip?: string | undefined } = {}): void {
  describe(`Backend conformance: ${name}`, { skip: options.skip ?? false }, () => {
    claimOrderSuite(factory);
    leasesAndFencingSuite(factory);
    expiredLeaseRecoverySuite(factory);
    delaysAndRetrySuite(factory);
    idempotencySuite(factory);
    cancelSuite(factory);
    pauseSuite(factory);
    deadLetterAndRedriveSuite(factory);
    retentionSuite(factory);
    statsSuite(factory);
    bulkEnqueueSuite(factory);
    listAndTenantsSuite(factory);
    concurrentClaimersSuite(factory);
    eventsSuite(factory);
    claimIdsSuite(factory);
    rateBudgetsSuite(factory);
  });
}
