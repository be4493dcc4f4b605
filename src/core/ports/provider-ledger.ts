import type { RateBudgetAction, RateBudgetResult } from '../rate-budget.js';
import type { RecordUsageParams, UsageParams, UsageTotals } from '../usage.js';

/**
 * The rate-budget half of the provider ledger (declared by `capabilities.rateBudgets`): applies a
 * rate-budget action (core/rate-budget.ts is the policy) to the stored state of `scope` in one
 * atomic step, with the backend's clock, so that provider limits hold for every worker sharing
 * this backend.
 */
export interface RateBudgetLedger {
  updateRateBudget(params: UpdateRateBudgetParams): Promise<RateBudgetResult>;
}

/** The usage half of the provider ledger (declared by `capabilities.usage`). */
export interface UsageLedger {
  /** Appends provider-call usage entries (tokens, cost) in one round trip. An entry without `at` is
   * stamped with the backend's clock. Usage rows are not removed by `purgeFinished` (they outlive
   * the jobs they were charged to). */
  recordUsage(params: RecordUsageParams): Promise<void>;
  /** Token and cost totals of the entries matching the filters (`since` inclusive, `until`
   * exclusive), aggregated by the storage, with breakdowns by queue, tenant (only when not scoped
   * to one tenant), provider and model. */
  usage(params: UsageParams): Promise<UsageTotals>;
}

/** Parameters of `RateBudgetLedger.updateRateBudget`. */
export interface UpdateRateBudgetParams {
  /** One provider's budgets, e.g. `provider:openai`. */
  scope: string;
  action: RateBudgetAction;
}
