import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import { connect } from 'amqplib';
import pg from 'pg';
import { assertFleetFinishedOnce, submitInBulk } from '../helpers/fleet-check.js';
import { serviceSkipReason } from '../helpers/require-service.js';
import { SluiceProcess, startServer } from '../helpers/spawn-sluice.js';

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

  const specs = Array.from({ length: TOTAL }, (_, n) => ({ type: 'math', input: { question: `What is ${n} divided by 2?` } }));
  const started = Date.now();
  await submitInBulk(server.url, specs, BULK);
  await assertFleetFinishedOnce(admin, schema, TOTAL, 3);
  const elapsedMs = Date.now() - started;
  t.diagnostic(`rabbitmq scale-out: ${TOTAL} jobs in ${elapsedMs} ms (${Math.round((TOTAL * 1000) / elapsedMs)} jobs/s)`);
});
