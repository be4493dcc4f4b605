import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import { connect } from 'amqplib';
import pg from 'pg';
import { serviceSkipReason } from '../helpers/require-service.js';
import { SluiceProcess, startServer } from '../helpers/spawn-sluice.js';
import { until } from '../helpers/until.js';

const AMQP_URL = process.env.SLUICE_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const PG_URL = process.env.SLUICE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const TOTAL = 2000;
const BULK = 500;

const admin = new pg.Pool({ connectionString: PG_URL, max: 2, connectionTimeoutMillis: 3000 });
const skip =
  (await serviceSkipReason('RabbitMQ', AMQP_URL, async () => {
    await (await connect(AMQP_URL)).close();
  })) ??
  (await serviceSkipReason('PostgreSQL', PG_URL, async () => {
    await admin.query('SELECT 1');
  }));

const tag = randomBytes(6).toString('hex');
const schema = `sluice_amqp_${tag}`;
const prefix = `sluicetest-scale-${tag}`;
const procs: SluiceProcess[] = [];
after(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  if (!skip) {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    const model = await connect(AMQP_URL);
    const channel = await model.createChannel();
    await channel.deleteQueue(`${prefix}.default`);
    await model.close();
  }
  await admin.end();
});

test('sluice serve --workers 0 plus three sluice worker processes on RabbitMQ + PostgreSQL run 2,000 math jobs once each', {
  skip,
  timeout: 180_000,
}, async (t) => {
  const env = {
    SLUICE_BACKEND: `${AMQP_URL}?prefix=${prefix}`,
    SLUICE_STORE: `${PG_URL}?schema=${schema}`,
    SLUICE_LOG_LEVEL: 'warn',
    SLUICE_LEASE_MS: '30000',
  };
  const server = await startServer({ ...env, SLUICE_LOG_LEVEL: 'info' }, ['--workers', '0']);
  procs.push(server.proc);
  const workers = ['w1', 'w2', 'w3'].map(() => {
    const proc = new SluiceProcess(['worker', '--concurrency', '16'], { ...env, SLUICE_LOG_LEVEL: 'info' });
    procs.push(proc);
    return proc;
  });
  await Promise.all(workers.map((w) => w.waitForLog(/sluice worker running/)));

  const started = Date.now();
  for (let offset = 0; offset < TOTAL; offset += BULK) {
    const jobs = Array.from({ length: BULK }, (_, i) => ({
      type: 'math',
      input: { question: `What is ${offset + i} divided by 2?` },
    }));
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
  const { rows } = await admin.query(`SELECT status, attempts, count(*)::int AS n FROM ${table} GROUP BY status, attempts`);
  assert.deepEqual(
    rows.map((r) => [r.status, r.attempts, r.n]),
    [['succeeded', 1, TOTAL]],
    'every job succeeded on its first and only attempt',
  );
  const perWorker = await admin.query(`SELECT worker_id, count(*)::int AS n FROM ${table} GROUP BY worker_id`);
  assert.equal(perWorker.rowCount, 3, `all three worker processes took jobs: ${JSON.stringify(perWorker.rows)}`);
  const math = await admin.query(
    `SELECT output->>'text' AS text FROM ${table} WHERE input->>'question' = 'What is 50 divided by 2?'`,
  );
  assert.equal(math.rows[0]?.text, '50 divided by 2 = 25');
  t.diagnostic(`rabbitmq scale-out: ${TOTAL} jobs in ${elapsedMs} ms (${Math.round((TOTAL * 1000) / elapsedMs)} jobs/s)`);
});
