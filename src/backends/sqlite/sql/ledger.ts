import type { UsageParams } from '../../../core/usage.js';
import { equalityFilters } from '../equality-filters.js';
import { whereClause } from './common.js';

/** The SQL of the provider ledger role: rate budgets and usage. */

export const RATE_BUDGET_STATE = 'SELECT state FROM rate_budgets WHERE scope = @scope';

export const RATE_BUDGET_UPSERT = `INSERT INTO rate_budgets (scope, state, updated_at) VALUES (@scope, @state, @now)
         ON CONFLICT (scope) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`;

export const USAGE_INSERT = `INSERT INTO usage (at, job_id, queue, tenant, type, provider, model, input_tokens, output_tokens, cost_usd)
         VALUES (@at, @jobId, @queue, @tenant, @type, @provider, @model, @inputTokens, @outputTokens, @costUsd)`;

/** Usage summed in SQL, grouped by (queue, tenant, provider, model), over the filters given. */
export function usageSql(params: UsageParams): { sql: string; args: Record<string, unknown> } {
  const { where, args } = equalityFilters({ queue: params.queue, tenant: params.tenant });
  if (params.since !== undefined) {
    where.push('at >= @since');
    args.since = params.since;
  }
  if (params.until !== undefined) {
    where.push('at < @until');
    args.until = params.until;
  }
  const sql = `SELECT queue, tenant, provider, model, sum(input_tokens) AS inputTokens, sum(output_tokens) AS outputTokens,
      total(cost_usd) AS costUsd, count(*) AS calls FROM usage ${whereClause(where)} GROUP BY queue, tenant, provider, model`;
  return { sql, args };
}
