import type { UsageEntry, UsageParams } from '../../../core/usage.js';
import type { BuiltQuery } from './admin.js';
import { NOW, type SchemaSql, whereClause } from './common.js';

/**
 * The SQL of the provider ledger role (rate budgets, usage), for one schema. Unnamed: these run
 * rarely next to the job path, and the rate-budget ones inside a transaction of their own.
 */
export function ledgerSql(t: SchemaSql) {
  return {
    /** Creates the scope's row when missing, so that FOR UPDATE always has a row to lock. $1 now, $2 scope. */
    rateBudgetEnsure: `INSERT INTO ${t.rateBudgets} (scope, state, updated_at) VALUES ($2, 'null', ${NOW}) ON CONFLICT (scope) DO NOTHING`,
    /** Locks and reads the scope's state, with the statement's now. $1 now, $2 scope. */
    rateBudgetLock: `SELECT state, ${NOW} AS now FROM ${t.rateBudgets} WHERE scope = $2 FOR UPDATE`,
    /** $1 scope, $2 now, $3 state (JSON text). */
    rateBudgetWrite: `UPDATE ${t.rateBudgets} SET state = $3, updated_at = $2 WHERE scope = $1`,
  };
}

/** Appends usage entries in one INSERT (arrays joined with unnest); `at` defaults to the database's clock. */
export function recordUsageQuery(t: SchemaSql, now: number | null, entries: readonly UsageEntry[]): BuiltQuery {
  const column = <T>(pick: (entry: UsageEntry) => T): T[] => entries.map(pick);
  const text = `INSERT INTO ${t.usage}
        (at, job_id, queue, tenant, type, provider, model, input_tokens, output_tokens, cost_usd)
      SELECT coalesce(b.at, ${NOW}), b.job_id, b.queue, b.tenant, b.type, b.provider, b.model, b.input_tokens, b.output_tokens, b.cost_usd
      FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[], $10::bigint[],
                  $11::float8[]) AS b(at, job_id, queue, tenant, type, provider, model, input_tokens, output_tokens, cost_usd)`;
  return {
    text,
    values: [
      now,
      column((e) => (e.at === undefined ? null : Math.round(e.at))),
      column((e) => e.jobId),
      column((e) => e.queue),
      column((e) => e.tenant ?? null),
      column((e) => e.type),
      column((e) => e.provider),
      column((e) => e.model),
      column((e) => Math.round(e.inputTokens)),
      column((e) => Math.round(e.outputTokens)),
      column((e) => e.costUsd ?? null),
    ],
  };
}

/** Usage summed in SQL, grouped by (queue, tenant, provider, model), over the filters given (no clock). */
export function usageQuery(t: SchemaSql, params: UsageParams): BuiltQuery {
  const values: unknown[] = [];
  const arg = (value: unknown): string => `$${values.push(value)}`;
  const where: string[] = [];
  if (params.queue !== undefined) where.push(`queue = ${arg(params.queue)}`);
  if (params.tenant !== undefined) where.push(`tenant = ${arg(params.tenant)}`);
  if (params.since !== undefined) where.push(`at >= ${arg(params.since)}::bigint`);
  if (params.until !== undefined) where.push(`at < ${arg(params.until)}::bigint`);
  const text = `SELECT queue, tenant, provider, model, sum(input_tokens)::float8 AS "inputTokens",
        sum(output_tokens)::float8 AS "outputTokens", coalesce(sum(cost_usd), 0)::float8 AS "costUsd", count(*)::int AS calls
      FROM ${t.usage} ${whereClause(where)} GROUP BY queue, tenant, provider, model`;
  return { text, values };
}
