import { parseProviders } from './provider-config.js';
import { ProviderPool, type ProviderPoolOptions } from './provider-pool.js';
import { backendRateLimitStore, type RateBudgetBackend } from './rate-limit-store.js';

export interface OpenProviderPoolOptions extends Omit<ProviderPoolOptions, 'rateLimitStore'> {
  /** When it implements `updateRateBudget`, budgets are kept there and shared by the fleet. */
  backend?: RateBudgetBackend | undefined;
  /** Where `apiKeyEnv` is looked up. Default process.env. */
  env?: NodeJS.ProcessEnv;
}

export interface OpenedProviderPool {
  pool: ProviderPool;
  /** True when the rate budgets live in the backend (fleet-wide); false: per process. */
  sharedBudgets: boolean;
}

/**
 * Builds the pool from the SLUICE_PROVIDERS value (JSON or `@file`); undefined when none are
 * configured. Throws SLUICE_CONFIG naming the bad entry and field.
 */
export function openProviderPool(
  value: string | undefined,
  options: OpenProviderPoolOptions = {},
): OpenedProviderPool | undefined {
  const { backend, env, ...poolOptions } = options;
  const providers = parseProviders(value, env === undefined ? {} : { env });
  if (providers.length === 0) return undefined;
  const store = backend ? backendRateLimitStore(backend) : undefined;
  const pool = new ProviderPool(providers, store ? { ...poolOptions, rateLimitStore: store } : poolOptions);
  return { pool, sharedBudgets: store !== undefined };
}
