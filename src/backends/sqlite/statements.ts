import type Database from 'better-sqlite3';
import type { ClaimedRow, CompletedRow, EventedJobRow, EventJobRow, JobInsertArgs, JobRow } from './row-mapping.js';
import * as admin from './sql/admin.js';
import * as intake from './sql/job-intake.js';
import * as store from './sql/job-store.js';
import { type ClaimCandidate, type ClaimShape, candidatesSql, claimShapeKey } from './sql/job-store.js';
import * as maintenance from './sql/maintenance.js';

export { type ClaimCandidate, type ClaimShape, claimOneSql, claimShapeKey } from './sql/job-store.js';

/**
 * The fixed statements of the adapter, prepared once per connection. Statements whose shape depends
 * on optional filters (list, stats, redrive) are prepared on first use and cached by the backend.
 */
export function prepareStatements(db: Database.Database): Statements {
  return {
    // Positional: the arguments are a JobInsertArgs tuple, in this column order.
    insert: db.prepare<InsertArgs, void>(intake.INSERT),
    byIdempotencyKey: db.prepare<[{ queue: string; tenant: string; key: string }], JobRow>(intake.BY_IDEMPOTENCY_KEY),
    byId: db.prepare<[string], EventedJobRow>(admin.BY_ID),
    pausedQueues: db.prepare<[], string>(store.PAUSED_QUEUES).pluck(),

    promoteOne: db.prepare<[{ queue: string; now: number }], void>(store.PROMOTE_ONE),
    promoteMany: db.prepare<[{ queues: string; now: number }], void>(store.PROMOTE_MANY),
    // Several queues: the top `limit` of each queue (index-served), merged in JS, then leased by rowid.
    // An `IN (queues…) ORDER BY` would sort every waiting job of those queues on each claim.
    candidates: Object.fromEntries(
      CLAIM_SHAPES.map((shape) => [claimShapeKey(shape), db.prepare<[CandidateParams], ClaimCandidate>(candidatesSql(shape))]),
    ),
    claimRowids: db
      .prepare<[{ rowids: string; now: number; leaseExpiresAt: number; workerId: string }], ClaimedRow>(store.CLAIM_ROWIDS)
      .raw(),

    claimIds: db.prepare<[ClaimIdsStatementParams], ClaimedRow>(store.CLAIM_IDS).raw(),
    heartbeat: db.prepare<[{ id: string; leaseToken: string; leaseExpiresAt: number }], void>(store.HEARTBEAT),
    complete: db.prepare<[SettleParams & { output: string | null }], EventJobRow>(store.COMPLETE),
    completeMany: db.prepare<[{ items: string; now: number }], EventJobRow>(store.COMPLETE_MANY),
    completeManyReturning: db.prepare<[{ items: string; now: number }], CompletedRow>(store.COMPLETE_MANY_RETURNING),
    completeReturning: db.prepare<[SettleParams & { output: string | null }], CompletedRow>(store.COMPLETE_RETURNING),
    retry: db.prepare<[SettleParams & { status: 'scheduled' | 'queued'; runAt: number; error: string }], EventJobRow>(
      store.RETRY,
    ),
    failFinal: db.prepare<[SettleParams & { error: string }], EventedJobRow>(store.FAIL_FINAL),
    release: db.prepare<[SettleParams], EventJobRow>(store.RELEASE),
    progress: db.prepare<[SettleParams & { progress: string | null }], EventJobRow>(store.PROGRESS),
    appendOutput: db.prepare<[SettleParams], EventJobRow>(store.APPEND_OUTPUT),
    cancel: db.prepare<[{ id: string; now: number }], EventedJobRow>(admin.CANCEL),
    setPaused: db.prepare<[{ queue: string; paused: number; now: number }], void>(admin.SET_PAUSED),
    reclaim: db.prepare<[{ now: number; limit: number; error: string }], EventedJobRow>(maintenance.RECLAIM),
    purge: db.prepare<[{ finishedBefore: number; failedBefore: number; limit: number }], void>(maintenance.PURGE),
    ping: db.prepare<[], number>('SELECT 1').pluck(),
  };
}

/** The fixed statements of the adapter (typed by their parameters and result rows). */
export interface Statements {
  insert: Database.Statement<InsertArgs, void>;
  byIdempotencyKey: Database.Statement<[{ queue: string; tenant: string; key: string }], JobRow>;
  byId: Database.Statement<[string], EventedJobRow>;
  pausedQueues: Database.Statement<[], string>;
  promoteOne: Database.Statement<[{ queue: string; now: number }], void>;
  promoteMany: Database.Statement<[{ queues: string; now: number }], void>;
  /** By claimShapeKey. */
  candidates: Record<string, Database.Statement<[CandidateParams], ClaimCandidate>>;
  claimRowids: Database.Statement<[{ rowids: string; now: number; leaseExpiresAt: number; workerId: string }], ClaimedRow>;
  claimIds: Database.Statement<[ClaimIdsStatementParams], ClaimedRow>;
  heartbeat: Database.Statement<[{ id: string; leaseToken: string; leaseExpiresAt: number }], void>;
  complete: Database.Statement<[SettleParams & { output: string | null }], EventJobRow>;
  completeMany: Database.Statement<[{ items: string; now: number }], EventJobRow>;
  completeManyReturning: Database.Statement<[{ items: string; now: number }], CompletedRow>;
  completeReturning: Database.Statement<[SettleParams & { output: string | null }], CompletedRow>;
  retry: Database.Statement<[SettleParams & { status: 'scheduled' | 'queued'; runAt: number; error: string }], EventJobRow>;
  failFinal: Database.Statement<[SettleParams & { error: string }], EventedJobRow>;
  release: Database.Statement<[SettleParams], EventJobRow>;
  progress: Database.Statement<[SettleParams & { progress: string | null }], EventJobRow>;
  appendOutput: Database.Statement<[SettleParams], EventJobRow>;
  cancel: Database.Statement<[{ id: string; now: number }], EventedJobRow>;
  setPaused: Database.Statement<[{ queue: string; paused: number; now: number }], void>;
  reclaim: Database.Statement<[{ now: number; limit: number; error: string }], EventedJobRow>;
  purge: Database.Statement<[{ finishedBefore: number; failedBefore: number; limit: number }], void>;
  ping: Database.Statement<[], number>;
}

/** The INSERT's arguments: the job's columns, then its last_seq (the events its enqueue appends). */
type InsertArgs = [...JobInsertArgs, lastSeq: number];

const CLAIM_SHAPES: ClaimShape[] = [
  { typed: false, tenanted: false },
  { typed: true, tenanted: false },
  { typed: false, tenanted: true },
  { typed: true, tenanted: true },
];

/** The optional filter values of a claim statement, present only in the shapes that use them. */
interface ClaimFilterParams {
  /** A JSON array of types (typed shapes). */
  types?: string;
  /** Tenanted shapes. */
  tenant?: string;
}

/** Parameters of a claimOneSql statement. */
export interface ClaimOneParams extends ClaimFilterParams {
  queue: string;
  now: number;
  leaseExpiresAt: number;
  workerId: string;
}

/** Parameters of a candidates statement. */
export interface CandidateParams extends ClaimFilterParams {
  queue: string;
  now: number;
  limit: number;
}

interface ClaimIdsStatementParams {
  ids: string;
  types: string | null;
  tenant: string | null;
  now: number;
  leaseExpiresAt: number;
  workerId: string;
}

interface SettleParams {
  id: string;
  leaseToken: string;
  now: number;
}
