import type { SluiceEvents } from './events.js';
import type { AdminStore, OutputTextReader } from './ports/admin-store.js';
import type { EventLogStore } from './ports/event-log.js';
import type { JobIntake } from './ports/job-intake.js';
import type { ClaimByIdStore, WorkerJobStore } from './ports/job-store.js';
import type { MaintenanceStore } from './ports/maintenance-store.js';
import type { RateBudgetLedger, UsageLedger } from './ports/provider-ledger.js';
import type { RecordStore } from './ports/record-store.js';

export type * from './ports/admin-store.js';
export type * from './ports/event-log.js';
export type * from './ports/job-intake.js';
export type * from './ports/job-store.js';
export type * from './ports/maintenance-store.js';
export type * from './ports/provider-ledger.js';
export type * from './ports/record-store.js';

/**
 * The Backend port: what a storage adapter must do, split by the role each client needs
 * (core/ports/): intake (enqueue), the worker's job store, admin, maintenance, and the optional
 * roles an adapter declares in `capabilities` (claim by id, output text, the provider ledger, the
 * event log, the record store).
 * A client takes the narrowest role it uses (the worker a WorkerJobStore, the reaper a
 * MaintenanceStore); an optional role is reached through `withCapability`, never by checking
 * whether a method exists.
 *
 * Rules every adapter follows (the conformance suite proves them):
 * - Each operation is atomic. Time (runAt, lease expiry) is decided by the backend's own clock.
 * - Attempt-scoped writes are fenced by the lease token (see WorkerJobStore).
 * - Batches are one round trip / one transaction: the worker sends claims and settlements in bulk.
 * - Tenant scoping: when `tenant` is given, jobs of other tenants are invisible (not found), to
 *   claims as to reads.
 */
export interface Backend extends JobIntake, WorkerJobStore, AdminStore, MaintenanceStore, Partial<OptionalRoles> {
  /** Short adapter name for logs and metrics (`sqlite`, `postgres`, ...). */
  readonly name: string;
  readonly capabilities: BackendCapabilities;
  /** Emits after changes are durable; see SluiceEventMap. */
  readonly events: SluiceEvents;
  /** Throws when the backend cannot serve (for /readyz). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The optional roles, by the capability flag that declares each. */
export interface CapabilityRoles {
  claimById: ClaimByIdStore;
  eventLog: EventLogStore;
  outputText: OutputTextReader;
  rateBudgets: RateBudgetLedger;
  records: RecordStore;
  usage: UsageLedger;
}

type OptionalRoles = ClaimByIdStore & EventLogStore & OutputTextReader & RateBudgetLedger & RecordStore & UsageLedger;

export type OptionalCapability = keyof CapabilityRoles;

/** What `withCapability` reads: the declarations of the optional roles. */
export interface CapabilityHolder {
  readonly capabilities: Pick<BackendCapabilities, OptionalCapability>;
}

export interface BackendCapabilities {
  /** `events` also carries changes made by other processes (e.g. LISTEN/NOTIFY). */
  crossProcessEvents: boolean;
  /** Several processes on several machines may share this backend. */
  multiMachine: boolean;
  /** The rate-budget ledger (`updateRateBudget`: fleet-wide provider limits). Absent = false. */
  rateBudgets?: boolean;
  /** The output-text reader (`readOutput`). Absent = false. */
  outputText?: boolean;
  /** Claim by id (`claimIds`). Absent = false. */
  claimById?: boolean;
  /** The event log (`jobEvents`, `feed`, `appendOutput`; ports/event-log.ts): every change of a
   * job is appended in the same atomic step. Absent = false. */
  eventLog?: boolean;
  /** The record store (ports/record-store.ts: small JSON documents by namespace and key, with a
   * TTL), where webhook endpoints, secrets and deliveries live. Absent = false. */
  records?: boolean;
  /** The usage ledger (`recordUsage` and `usage`: token and cost accounting). Absent = false. */
  usage?: boolean;
  /** `claim` and `claimIds` honour `tenant` (a remote worker of one tenant). Absent = false: such
   * a backend must not be given to a tenant-scoped worker. */
  tenantClaims?: boolean;
  /**
   * Claims follow the priority / runAt order exactly, across calls and handles. Absent = true.
   * False for a broker transport (RabbitMQ): its priorities are coarse buckets and delivery order
   * is the broker's, so only the jobs handed out in one claim call are sorted among themselves.
   */
  strictOrder?: boolean;
  /**
   * `enqueue` does its write in the calling thread and settles within the event-loop turn it starts
   * in (an embedded store). Callers that gather concurrent writes use it to wait for the end of the
   * turn, which only pays off when no write is ever in flight across turns. Absent = false.
   */
  synchronousWrites?: boolean;
}

/**
 * The optional role `capability` of `backend`, when the backend declares it; undefined otherwise.
 * The declaration is the flag: an adapter that declares a role it does not implement is a bug the
 * conformance suite reports (it pins every adapter's capabilities), so this does not look for
 * methods.
 */
export function withCapability<C extends OptionalCapability>(
  backend: CapabilityHolder & Partial<OptionalRoles>,
  capability: C,
): CapabilityRoles[C] | undefined {
  if (backend.capabilities[capability] !== true) return undefined;
  return backend as unknown as CapabilityRoles[C];
}
