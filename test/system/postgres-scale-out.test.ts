import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import pg from 'pg';
import { serviceSkipReason } from '../helpers/require-service.js';
import { SluiceProcess, startServer } from '../helpers/spawn-sluice.js';
import { until } from '../helpers/until.js';

const PG_URL = process.env.SLUICE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const TOTAL = 2000;
const BULK = 500;

const admin = new pg.Pool({ connectionString: PG_URL, max: 2, connectionTimeoutMillis: 3000 });
const skip = await serviceSkipReason('PostgreSQL', PG_URL, async () => {
  await admin.query('SELECT 1');
});

const schema = `sluice_scale_${randomBytes(6).toString('hex')}`;
const procs: SluiceProcess[] = [];
after(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  if (!skip) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
});

test('sluice serve --workers 0 plus two sluice worker processes on PostgreSQL run 2,000 jobs, each exactly once', {
  skip,
  timeout: 180_000,
}, async (t) => {
  const env = {
    SLUICE_BACKEND: `${PG_URL}?schema=${schema}`,
    SLUICE_LOG_LEVEL: 'warn',
    SLUICE_LEASE_MS: '30000',
  };
  const server = await startServer({ ...env, SLUICE_LOG_LEVEL: 'info' }, ['--workers', '0']);
  procs.push(server.proc);
  const workers = ['w1', 'w2'].map(() => {
    const proc = new SluiceProcess(['worker', '--concurrency', '16'], { ...env, SLUICE_LOG_LEVEL: 'info' });
    procs.push(proc);
    return proc;
  });
  await Promise.all(workers.map((w) => w.waitForLog(/sluice worker running/)));

  const started = Date.now();
  for (let offset = 0; offset < TOTAL; offset += BULK) {
    const jobs = Array.from({ length: BULK }, (_, i) => {
      const n = offset + i;
      return n % 10 === 0 ? { type: 'math', input: { question: `What is ${n} divided by 2?` } } : { type: 'noop', input: { n } };
    });
    const res = await fetch(`${server.url}/v1/jobs/bulk`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jobs }),
    });
    assert.equal(res.status, 202, await res.text());
  }

  const table = `"${schema}".jobs`;
  await until(
    async () => {
      const { rows } = await admin.query(
        `SELECT count(*)::int AS n FROM ${table} WHERE status IN ('succeeded', 'failed', 'cancelled')`,
      );
      return rows[0].n === TOTAL;
    },
    `all ${TOTAL} jobs to finish`,
    120_000,
    200,
  );
  const elapsedMs = Date.now() - started;

  const { rows } = await admin.query(
    `SELECT status, attempts, count(*)::int AS n, count(DISTINCT worker_id)::int AS workers FROM ${table} GROUP BY status, attempts`,
  );
  assert.deepEqual(
    rows.map((r) => [r.status, r.attempts, r.n]),
    [['succeeded', 1, TOTAL]],
    'every job succeeded on its first and only attempt',
  );
  const perWorker = await admin.query(`SELECT worker_id, count(*)::int AS n FROM ${table} GROUP BY worker_id`);
  assert.equal(perWorker.rowCount, 2, `both worker processes took jobs: ${JSON.stringify(perWorker.rows)}`);
  const math = await admin.query(
    `SELECT output->>'text' AS text FROM ${table} WHERE type = 'math' AND input->>'question' = 'What is 50 divided by 2?'`,
  );
  assert.equal(math.rows[0]?.text, '50 divided by 2 = 25');
  t.diagnostic(`postgres scale-out: ${TOTAL} jobs in ${elapsedMs} ms (${Math.round((TOTAL * 1000) / elapsedMs)} jobs/s)`);
});
