/**
 * Token and cost accounting: one UsageEntry per provider call made for a job (per job share of a
 * batched call), kept by backends that declare `capabilities.usage`, and summed per queue, tenant,
 * provider and model by `Backend.usage`.
 */

/** One provider call's tokens and cost, charged to one job. */
export interface UsageEntry {
  jobId: string;
  queue: string;
  /** The job's tenant; undefined for single-tenant use. */
  tenant?: string | undefined;
  /** The job type (`chat`, `embed`, ...). */
  type: string;
  /** The provider that served the call. */
  provider: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  /** Dollars, when the provider has a price table. */
  costUsd?: number | undefined;
  /** Epoch ms of the call; default: the backend's clock when the entry is stored. */
  at?: number | undefined;
}

/** Parameters of `Backend.recordUsage`. */
export interface RecordUsageParams {
  entries: UsageEntry[];
}

/** Parameters of `Backend.usage`: every filter is optional; `since` inclusive, `until` exclusive (epoch ms). */
export interface UsageParams {
  queue?: string | undefined;
  tenant?: string | undefined;
  since?: number | undefined;
  until?: number | undefined;
}

/** Sums over a set of usage entries. */
export interface UsageCounts {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  /** Dollars; entries without a price count 0. */
  costUsd: number;
  /** Entries summed: provider calls (a batched call counts once per job it served). */
  calls: number;
}

/** What `Backend.usage` answers: overall sums and breakdowns, each sorted by its key. */
export interface UsageTotals extends UsageCounts {
  byQueue: Array<UsageCounts & { queue: string }>;
  /** Absent when the query was scoped to one tenant. `tenant: null` = usage of untenanted jobs. */
  byTenant?: Array<UsageCounts & { tenant: string | null }>;
  byProvider: Array<UsageCounts & { provider: string }>;
  byModel: Array<UsageCounts & { model: string }>;
}

/** One row of an adapter's `GROUP BY queue, tenant, provider, model` aggregation. */
export interface UsageGroup {
  queue: string;
  tenant: string | null;
  provider: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  calls: number;
}

export function emptyUsageCounts(): UsageCounts {
  return { inputTokens: 0, outputTokens: 0, totalTokens: 0, costUsd: 0, calls: 0 };
}

/**
 * Folds per-(queue, tenant, provider, model) groups (the adapter aggregates in storage; the groups
 * are few) into UsageTotals. `byTenant` is left out when `params.tenant` scoped the query.
 */
export function usageTotalsFromGroups(groups: readonly UsageGroup[], params: UsageParams = {}): UsageTotals {
  const total = emptyUsageCounts();
  const byQueue = new Map<string, UsageCounts>();
  const byTenant = new Map<string | null, UsageCounts>();
  const byProvider = new Map<string, UsageCounts>();
  const byModel = new Map<string, UsageCounts>();
  const add = <K>(map: Map<K, UsageCounts>, key: K, group: UsageGroup): void => {
    let counts = map.get(key);
    if (!counts) {
      counts = emptyUsageCounts();
      map.set(key, counts);
    }
    addGroup(counts, group);
  };
  for (const group of groups) {
    addGroup(total, group);
    add(byQueue, group.queue, group);
    add(byTenant, group.tenant, group);
    add(byProvider, group.provider, group);
    add(byModel, group.model, group);
  }
  const sorted = <K extends string | null, N extends string>(map: Map<K, UsageCounts>, name: N) =>
    [...map]
      .sort(([a], [b]) => compareKeys(a, b))
      .map(([key, counts]) => ({ [name]: key, ...counts }) as UsageCounts & { [P in N]: K });
  const totals: UsageTotals = {
    ...total,
    byQueue: sorted(byQueue, 'queue'),
    byProvider: sorted(byProvider, 'provider'),
    byModel: sorted(byModel, 'model'),
  };
  if (params.tenant === undefined) totals.byTenant = sorted(byTenant, 'tenant');
  return totals;
}

function addGroup(counts: UsageCounts, group: UsageGroup): void {
  counts.inputTokens += group.inputTokens;
  counts.outputTokens += group.outputTokens;
  counts.totalTokens += group.inputTokens + group.outputTokens;
  counts.costUsd += group.costUsd;
  counts.calls += group.calls;
}

/** null (untenanted) first, then by code unit order. */
function compareKeys(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}
