import { adminStatements } from './sql/admin.js';
import { schemaSql } from './sql/common.js';
import { eventLogStatements } from './sql/event-log.js';
import { intakeStatements } from './sql/job-intake.js';
import { jobStoreStatements } from './sql/job-store.js';
import { maintenanceStatements } from './sql/maintenance.js';
import { recordStatements } from './sql/records.js';

export type { Statement } from './sql/common.js';

/**
 * The fixed statements of the adapter for one schema, gathered from sql/ (one module per role of
 * the port). Every one is one round trip and takes the clock as `$1` (see NOW), but the event log's
 * reads, which need no clock; batches travel as arrays and are joined with `unnest`. Statements
 * whose shape depends on optional filters (list, stats, redrive) are built per call by
 * sql/admin.ts and sql/ledger.ts.
 */
export function buildStatements(schema: string) {
  const t = schemaSql(schema);
  return {
    jobs: t.jobs,
    queues: t.queues,
    ...intakeStatements(t),
    ...jobStoreStatements(t),
    ...adminStatements(t),
    ...maintenanceStatements(t),
    ...eventLogStatements(t),
    ...recordStatements(t),
  };
}

export type Statements = ReturnType<typeof buildStatements>;
