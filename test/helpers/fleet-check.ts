import assert from 'node:assert/strict';
import type pg from 'pg';
import { until } from './until.js';

/** Submits `specs` through `POST /v1/jobs/bulk` in batches of `bulk`, asserting each 202. */
export async function submitInBulk(url: string, specs: unknown[], bulk: number): Promise<void> {
  for (let offset = 0; offset < specs.length; offset += bulk) {
    const res = await fetch(`${url}/v1/jobs/bulk`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jobs: specs.slice(offset, offset + bulk) }),
    });
    assert.equal(res.status, 202, await res.text());
  }
}

/**
 * Waits until every job in a PostgreSQL store's schema has ended, then checks the scale-out
 * promises: all `total` succeeded on their first attempt, spread over `workers` worker processes,
 * and the seed question got its answer.
 */
export async function assertFleetFinishedOnce(admin: pg.Pool, schema: string, total: number, workers: number): Promise<void> {
  const table = `"${schema}".jobs`;
  await until(
    async () => {
      const { rows } = await admin.query(
        `SELECT count(*)::int AS n FROM ${table} WHERE status IN ('succeeded', 'failed', 'cancelled')`,
      );
      return rows[0].n === total;
    },
    `all ${total} jobs to finish`,
    120_000,
    200,
  );
  const { rows } = await admin.query(`SELECT status, attempts, count(*)::int AS n FROM ${table} GROUP BY status, attempts`);
  assert.deepEqual(
    rows.map((r) => [r.status, r.attempts, r.n]),
    [['succeeded', 1, total]],
    'every job succeeded on its first and only attempt',
  );
  const perWorker = await admin.query(`SELECT worker_id, count(*)::int AS n FROM ${table} GROUP BY worker_id`);
  assert.equal(perWorker.rowCount, workers, `all ${workers} worker processes took jobs: ${JSON.stringify(perWorker.rows)}`);
  const math = await admin.query(
    `SELECT output->>'text' AS text FROM ${table} WHERE input->>'question' = 'What is 50 divided by 2?'`,
  );
  assert.equal(math.rows[0]?.text, '50 divided by 2 = 25');
}
