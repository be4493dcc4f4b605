import { type CapabilityHolder, type RateBudgetLedger, withCapability } from '../core/backend.js';
import { applyRateBudget, type RateBudgetAction, type RateBudgetResult, type RateBudgetState } from '../core/rate-budget.js';

export type { BucketRequest, RateBudgetAction, RateBudgetResult } from '../core/rate-budget.js';

/**
 * Where rate-limit budgets live: one operation that applies a budget action (core/rate-budget.ts)
 * to one scope atomically, with the store's clock. `MemoryRateLimitStore` serves one process;
 * `backendRateLimitStore(backend)` keeps the budgets in the backend (`Backend.updateRateBudget`),
 * shared by every worker of the fleet.
 */
export interface RateLimitStore {
  update(params: { scope: string; action: RateBudgetAction }): Promise<RateBudgetResult>;
}

/** Budgets kept in this process: the limits hold per worker process, not across the fleet. */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly scopes = new Map<string, RateBudgetState>();
  private readonly now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.now = options.now ?? Date.now;
  }

  async update({ scope, action }: { scope: string; action: RateBudgetAction }): Promise<RateBudgetResult> {
    const { state, result } = applyRateBudget(this.scopes.get(scope), action, this.now());
    this.scopes.set(scope, state);
    return result;
  }
}

/** The part of a Backend that keeps shared budgets (an optional role, `capabilities.rateBudgets`). */
export type RateBudgetBackend = CapabilityHolder & Partial<RateBudgetLedger>;

/**
 * A store kept in `backend`, shared by every process on it; undefined when the backend has no
 * `updateRateBudget` (then use a MemoryRateLimitStore and say the limits are per process).
 */
export function backendRateLimitStore(backend: RateBudgetBackend): RateLimitStore | undefined {
  const ledger = withCapability(backend, 'rateBudgets');
  return ledger ? { update: (params) => ledger.updateRateBudget(params) } : undefined;
}
