import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import pg from 'pg';
import { assertFleetFinishedOnce, submitInBulk } from '../helpers/fleet-check.js';
import { serviceSkipReason } from '../helpers/require-service.js';
import { SluiceProcess, startServer } from '../helpers/spawn-sluice.js';

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

  const specs = Array.from({ length: TOTAL }, (_, n) =>
    n % 10 === 0 ? { type: 'math', input: { question: `What is ${n} divided by 2?` } } : { type: 'noop', input: { n } },
  );
  const started = Date.now();
  await submitInBulk(server.url, specs, BULK);
  await assertFleetFinishedOnce(admin, schema, TOTAL, 2);
  const elapsedMs = Date.now() - started;
  t.diagnostic(`postgres scale-out: ${TOTAL} jobs in ${elapsedMs} ms (${Math.round((TOTAL * 1000) / elapsedMs)} jobs/s)`);
});
