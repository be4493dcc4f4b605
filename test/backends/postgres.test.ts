import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { SCHEMA_VERSION } from '../../src/backends/postgres/migrations.js';
import { openPostgresBackend, type PostgresBackend } from '../../src/backends/postgres/postgres-backend.js';
import { RECORD_PURGE_BATCH } from '../../src/backends/postgres/records.js';
import { buildStatements } from '../../src/backends/postgres/statements.js';
import type { Backend } from '../../src/core/backend.js';
import { ErrorCodes } from '../../src/core/errors.js';
import type { SluiceEventMap } from '../../src/core/events.js';
import type { Job } from '../../src/core/job.js';
import { toNewJob } from '../../src/core/new-job.js';
import { Sluice } from '../../src/sluice.js';
import { nextEvent } from '../conformance/harness.js';
import { runConformance } from '../conformance/index.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { assertReclaimFollowsPolicy } from '../helpers/reclaim-policy-check.js';
import { serviceSkipReason } from '../helpers/require-service.js';

const PG_URL = process.env.SLUICE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function probe(): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}

const skip = await serviceSkipReason('PostgreSQL', PG_URL, probe);

/** A fresh schema name per test, so that tests (and parallel runs) never share tables. */
function freshSchema(): string {
  return `sluice_test_${randomBytes(6).toString('hex')}`;
}

/** Runs SQL on an admin connection of its own. */
async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function dropSchema(schema: string): Promise<void> {
  await admin((c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
}

runConformance(
  'postgres',
  async ({ clock }) => {
    const schema = freshSchema();
    const opened: Backend[] = [];
    const open = async (): Promise<Backend> => {
      const backend = await openPostgresBackend({ url: PG_URL, schema, clock, poolSize: 4 });
      opened.push(backend);
      return backend;
    };
    const backend = await open();
    return {
      backend,
      openAnother: open,
      cleanup: async () => {
        for (const b of opened) await b.close();
        await dropSchema(schema);
      },
    };
  },
  { skip },
);

describe('postgres adapter', { skip }, () => {
  const schemas: string[] = [];
  const schema = (): string => {
    const name = freshSchema();
    schemas.push(name);
    return name;
  };
  after(async () => {
    for (const name of schemas) await dropSchema(name);
  });

  test('declares exactly its capabilities (a flipped flag is a red test)', async () => {
    const backend = await openPostgresBackend({ url: PG_URL, schema: schema() });
    try {
      assert.deepEqual(backend.capabilities, {
        crossProcessEvents: true,
        multiMachine: true,
        claimById: true,
        tenantClaims: true,
        rateBudgets: true,
        usage: true,
        outputText: true,
        eventLog: true,
        records: true,
      });
    } finally {
      await backend.close();
    }
  });

  test('reclaim decides every case as core reclaim policy does, in one statement', async () => {
    const clock = new FakeClock();
    const backend = await openPostgresBackend({ url: PG_URL, schema: schema(), clock, poolSize: 2 });
    try {
      await assertReclaimFollowsPolicy(backend, clock);
    } finally {
      await backend.close();
    }
  });

  test('migrations are recorded, idempotent, and safe when several processes open at once', async () => {
    const s = schema();
    const opened = await Promise.all(Array.from({ length: 4 }, () => openPostgresBackend({ url: `${PG_URL}?schema=${s}` })));
    try {
      const versions = await admin((c) => c.query(`SELECT version FROM "${s}".sluice_migrations ORDER BY version`));
      assert.deepEqual(
        versions.rows.map((r) => r.version),
        Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1),
      );
      const again = await openPostgresBackend({ url: PG_URL, schema: s });
      await again.close();
      const after = await admin((c) => c.query(`SELECT count(*)::int AS n FROM "${s}".sluice_migrations`));
      assert.equal(after.rows[0].n, SCHEMA_VERSION);
    } finally {
      for (const b of opened) await b.close();
    }
  });

  test('migrate:false on an empty schema refuses with SLUICE_CONFIG naming `sluice migrate`', async () => {
    const s = schema();
    await assert.rejects(openPostgresBackend({ url: PG_URL, schema: s, migrate: false }), (error: unknown) => {
      assert.equal((error as { code?: string }).code, ErrorCodes.config);
      assert.match((error as Error).message, /sluice migrate/);
      return true;
    });
    const migrated = await openPostgresBackend({ url: PG_URL, schema: s });
    await migrated.close();
    const checked = await openPostgresBackend({ url: PG_URL, schema: s, migrate: false });
    await checked.ping();
    await checked.close();
  });

  test('refuses a schema written by a newer Sluice', async () => {
    const s = schema();
    await (await openPostgresBackend({ url: PG_URL, schema: s })).close();
    await admin((c) => c.query(`INSERT INTO "${s}".sluice_migrations (version, name) VALUES (999, 'future')`));
    await assert.rejects(openPostgresBackend({ url: PG_URL, schema: s }), (error: unknown) => {
      assert.equal((error as { code?: string }).code, ErrorCodes.config);
      return true;
    });
  });

  test('the ?schema= URL parameter picks the schema and is not passed to the server', async () => {
    const s = schema();
    const backend = (await openPostgresBackend({ url: `${PG_URL}?schema=${s}` })) as PostgresBackend;
    try {
      assert.equal(backend.schema, s);
      await backend.enqueue({ jobs: [toNewJob({ type: 'noop' })] });
      const count = await admin((c) => c.query(`SELECT count(*)::int AS n FROM "${s}".jobs`));
      assert.equal(count.rows[0].n, 1);
    } finally {
      await backend.close();
    }
    await assert.rejects(openPostgresBackend({ url: `${PG_URL}?schema=bad;name` }), (error: unknown) => {
      assert.equal((error as { code?: string }).code, ErrorCodes.config);
      return true;
    });
  });

  test('transactional enqueue: the job exists only if the caller commits', async () => {
    const s = schema();
    const sluice = Sluice.fromBackend(await openPostgresBackend({ url: PG_URL, schema: s }));
    const pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
    try {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const enqueued = nextEvent(sluice.backend, 'jobs:enqueued');
        const committed = await sluice.enqueue({ type: 'noop', input: 'commit' }, { client });
        assert.equal(await sluice.get(committed.id), null, 'invisible to others before the commit');
        await client.query('COMMIT');
        assert.deepEqual(await enqueued, { queue: 'default', count: 1 }, 'the wake-up arrives with the commit');
        assert.equal((await sluice.get(committed.id))?.status, 'queued');

        await client.query('BEGIN');
        const rolledBack = await sluice.enqueue({ type: 'noop', input: 'rollback' }, { client });
        await client.query('ROLLBACK');
        assert.equal(await sluice.get(rolledBack.id), null);
      } finally {
        client.release();
      }
      const all = await sluice.list({ limit: 10, include: ['input'] });
      assert.deepEqual(
        all.jobs.map((j) => j.input),
        ['commit'],
      );
    } finally {
      await pool.end();
      await sluice.close();
    }
  });

  test("transactional bulk refused for a reused key undoes only its own rows, not the caller's", async () => {
    const s = schema();
    const sluice = Sluice.fromBackend(await openPostgresBackend({ url: PG_URL, schema: s }));
    const pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
    try {
      await sluice.enqueue({ type: 'noop', idempotencyKey: 'order-1', input: 1 });
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const before = await sluice.enqueue({ type: 'noop', input: 'before' }, { client });
        await assert.rejects(
          sluice.submit(
            [
              { type: 'noop', input: 'new' },
              { type: 'noop', idempotencyKey: 'order-1', input: 2 },
            ],
            { client },
          ),
          { code: ErrorCodes.idempotencyMismatch, field: 'jobs.1.idempotencyKey' },
        );
        // The caller's transaction is still usable and keeps what it wrote before the refusal.
        await client.query('COMMIT');
        assert.equal((await sluice.get(before.id))?.status, 'queued');
      } finally {
        client.release();
      }
      const all = await sluice.list({ limit: 10, include: ['input'] });
      assert.deepEqual(all.jobs.map((j) => j.input).sort(), [1, 'before'].sort());
    } finally {
      await pool.end();
      await sluice.close();
    }
  });

  test('without an injected clock, the database clock decides runAt and lease expiry', async () => {
    const s = schema();
    const backend = await openPostgresBackend({ url: PG_URL, schema: s });
    const realNow = Date.now;
    try {
      // This process's clock is a year ahead: a skewed worker machine.
      const skew = 365 * 24 * 3600 * 1000;
      Date.now = () => realNow() + skew;
      const [result] = await backend.enqueue({ jobs: [toNewJob({ type: 'noop' })] });
      const [claimed] = await backend.claim({ queues: ['default'], limit: 1, leaseMs: 60_000, workerId: 'w' });
      assert.ok(result && claimed);
      const dbNow = await admin(async (c) =>
        Number((await c.query('SELECT (extract(epoch from now()) * 1000)::bigint AS ms')).rows[0].ms),
      );
      assert.ok(Math.abs(claimed.leaseExpiresAt - (dbNow + 60_000)) < 10_000, 'lease expiry is database now + leaseMs');
      assert.ok(Math.abs(result.job.createdAt - dbNow) < 10_000);
      assert.deepEqual(await backend.reclaimExpired(), { requeued: 0, failed: 0 }, 'the skewed clock expires nothing');
    } finally {
      Date.now = realNow;
      await backend.close();
    }
  });

  // That such a handle hears the finish as job:ended, and its local-only listener does not, is a
  // conformance case ("events"); here: that PostgreSQL reads nothing back for it.
  test('a handle whose job:finished listeners are all local reads no rows back for relayed finishes', async () => {
    const s = schema();
    const a = await openPostgresBackend({ url: PG_URL, schema: s });
    const b = await openPostgresBackend({ url: PG_URL, schema: s });
    try {
      const reads: string[][] = [];
      const internals = b as unknown as { readJobs(ids: string[]): Promise<Job[]> };
      const readJobs = internals.readJobs.bind(b);
      internals.readJobs = (ids) => {
        reads.push(ids);
        return readJobs(ids);
      };
      b.events.on('job:finished', () => undefined, { local: true });
      await a.enqueue({ jobs: [toNewJob({ type: 'noop', queue: 'ended' })] });
      const [claimed] = await a.claim({ queues: ['ended'], limit: 1, leaseMs: 30_000, workerId: 'w' });
      assert.ok(claimed);
      const ended = nextEvent(b, 'job:ended', (p) => p.id === claimed.id);
      await a.complete({ items: [{ id: claimed.id, leaseToken: claimed.leaseToken, output: 1 }] });
      await ended;
      assert.deepEqual(reads, []);
    } finally {
      await a.close();
      await b.close();
    }
  });

  // Enqueues, finishes, cancels and pauses reaching another handle: conformance ('events').
  test('waitFor in one process wakes on a job finished by another', async () => {
    const s = schema();
    const a = await openPostgresBackend({ url: PG_URL, schema: s });
    const b = await openPostgresBackend({ url: PG_URL, schema: s });
    try {
      const waiter = Sluice.fromBackend(b);
      await a.enqueue({ jobs: [toNewJob({ type: 'noop', queue: 'remote' })] });
      const [job] = await a.claim({ queues: ['remote'], limit: 1, leaseMs: 30_000, workerId: 'w' });
      assert.ok(job);
      const waiting = waiter.waitFor(job.id, { timeoutMs: 10_000 });
      await a.complete({ items: [{ id: job.id, leaseToken: job.leaseToken, output: 3 }] });
      assert.equal((await waiting).output, 3);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('enqueue NOTIFYs from its own INSERT (one statement); an idempotent repeat wakes nobody', async () => {
    const s = schema();
    const a = await openPostgresBackend({ url: PG_URL, schema: s });
    const b = await openPostgresBackend({ url: PG_URL, schema: s });
    const heardByB: Array<SluiceEventMap['jobs:enqueued']> = [];
    const heardByA: Array<SluiceEventMap['jobs:enqueued']> = [];
    const offB = b.events.on('jobs:enqueued', (p) => heardByB.push(p));
    const offA = a.events.on('jobs:enqueued', (p) => heardByA.push(p));
    // Counts the statements `a` sends on its pool (the insert, and any notifier flush).
    const sent = countStatements(a);
    try {
      const first = nextEvent(b, 'jobs:enqueued', (p) => p.queue === 'once');
      const [created] = await a.enqueue({ jobs: [toNewJob({ type: 'noop', queue: 'once', idempotencyKey: 'k' })] });
      assert.equal(created?.created, true);
      assert.deepEqual(await first, { queue: 'once', count: 1, remote: true }, 'the other handle wakes on the commit');
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(sent.count, 1, 'the INSERT carried the NOTIFY: no separate pg_notify statement');

      // The repeat inserts nothing and must not notify. NOTIFYs arrive in commit order, so once
      // the sentinel (enqueued after the repeat committed) is heard, a NOTIFY of the repeat would be too.
      const [repeat] = await a.enqueue({ jobs: [toNewJob({ type: 'noop', queue: 'once', idempotencyKey: 'k' })] });
      assert.equal(repeat?.created, false);
      assert.equal(repeat?.job.id, created?.job.id);
      const sentinel = nextEvent(b, 'jobs:enqueued', (p) => p.queue === 'sentinel');
      await a.enqueue({ jobs: [toNewJob({ type: 'noop', queue: 'sentinel' })] });
      await sentinel;
      assert.deepEqual(heardByB, [
        { queue: 'once', count: 1, remote: true },
        { queue: 'sentinel', count: 1, remote: true },
      ]);
      assert.deepEqual(heardByA, [
        { queue: 'once', count: 1 },
        { queue: 'sentinel', count: 1 },
      ]);

      // Bulk: one message with each queue's count of jobs actually created (the repeat skipped).
      heardByB.length = 0;
      const bulkDone = nextEvent(b, 'jobs:enqueued', (p) => p.queue === 'bulk-2');
      await a.enqueue({
        jobs: [
          toNewJob({ type: 'noop', queue: 'bulk-1' }),
          toNewJob({ type: 'noop', queue: 'bulk-1' }),
          toNewJob({ type: 'noop', queue: 'once', idempotencyKey: 'k' }),
          toNewJob({ type: 'noop', queue: 'bulk-2' }),
        ],
      });
      await bulkDone;
      assert.deepEqual(
        heardByB.sort((x, y) => x.queue.localeCompare(y.queue)),
        [
          { queue: 'bulk-1', count: 2, remote: true },
          { queue: 'bulk-2', count: 1, remote: true },
        ],
      );

      // A batch whose message would pass the payload limit falls back to the notifier (several messages).
      heardByB.length = 0;
      const names = Array.from({ length: 80 }, (_, i) => `${String(i).padStart(3, '0')}-${'q'.repeat(100)}`);
      const lastName = names[names.length - 1] ?? '';
      const wideDone = nextEvent(b, 'jobs:enqueued', (p) => p.queue === lastName);
      const wide = await a.enqueue({ jobs: names.map((queue) => toNewJob({ type: 'noop', queue })) });
      assert.equal(wide.length, 80);
      await wideDone;
      assert.deepEqual(
        heardByB.map((p) => p.queue),
        names,
      );
    } finally {
      sent.restore();
      offA();
      offB();
      await a.close();
      await b.close();
    }
  });

  test('complete NOTIFYs from its own UPDATE (one statement); a batch too large for one message falls back', async () => {
    const s = schema();
    const a = await openPostgresBackend({ url: PG_URL, schema: s });
    const b = await openPostgresBackend({ url: PG_URL, schema: s });
    const heardByB = new Set<string>();
    const offB = b.events.on('job:finished', (p) => heardByB.add(p.job.id));
    const sent = countStatements(a);
    const claimAndComplete = async (n: number) => {
      await a.enqueue({ jobs: Array.from({ length: n }, () => toNewJob({ type: 'noop', queue: 'fin' })) });
      const claimed = await a.claim({ queues: ['fin'], limit: n, leaseMs: 30_000, workerId: 'w' });
      assert.equal(claimed.length, n);
      const allHeard = new Promise<void>((resolve) => {
        const off = b.events.on('job:finished', () => {
          if (claimed.every((job) => heardByB.has(job.id))) {
            off();
            resolve();
          }
        });
      });
      sent.count = 0;
      await a.complete({ items: claimed.map((job) => ({ id: job.id, leaseToken: job.leaseToken, output: null })) });
      await new Promise((resolve) => setImmediate(resolve));
      const statements = sent.count;
      await allHeard;
      return statements;
    };
    try {
      assert.equal(await claimAndComplete(3), 1, 'the UPDATE carried the NOTIFY: no separate pg_notify statement');
      // 400 ids do not fit one payload: the notifier sends them in several messages.
      assert.equal(await claimAndComplete(400), 2, 'the UPDATE, then one notifier statement');
    } finally {
      sent.restore();
      offB();
      await a.close();
      await b.close();
    }
  });

  test('N handles racing to claim get each job exactly once', { timeout: 60_000 }, async () => {
    const s = schema();
    const handles = await Promise.all(
      Array.from({ length: 5 }, () => openPostgresBackend({ url: PG_URL, schema: s, poolSize: 3 })),
    );
    try {
      const total = 1000;
      await handles[0]!.enqueue({
        jobs: Array.from({ length: total }, (_, i) => toNewJob({ type: 'noop', input: i, priority: i % 4 })),
      });
      const claimedBy = await Promise.all(
        handles.map(async (backend, h) => {
          const mine: string[] = [];
          // Several claimers per handle, so that claims really overlap on the database.
          await Promise.all(
            Array.from({ length: 3 }, async () => {
              for (;;) {
                const jobs = await backend.claim({ queues: ['default'], limit: 7, leaseMs: 30_000, workerId: `h${h}` });
                if (jobs.length === 0) return;
                mine.push(...jobs.map((j) => j.id));
                await backend.complete({ items: jobs.map((j) => ({ id: j.id, leaseToken: j.leaseToken, output: null })) });
              }
            }),
          );
          return mine;
        }),
      );
      const all = claimedBy.flat();
      assert.equal(all.length, total);
      assert.equal(new Set(all).size, total, 'no job was claimed twice');
      assert.ok(claimedBy.filter((ids) => ids.length > 0).length >= 2, 'the work was shared');
      const [stats] = await handles[0]!.stats();
      assert.equal(stats?.counts.succeeded, total);
    } finally {
      for (const b of handles) await b.close();
    }
  });

  test('terminated connections: calls fail with SLUICE_BACKEND_UNAVAILABLE or succeed after reconnect; LISTEN comes back', {
    timeout: 30_000,
  }, async () => {
    const s = schema();
    const backend = await openPostgresBackend({ url: PG_URL, schema: s, poolSize: 2 });
    const other = await openPostgresBackend({ url: PG_URL, schema: s });
    try {
      await backend.enqueue({ jobs: [toNewJob({ type: 'noop' })] });
      const killed = await admin(
        async (c) =>
          (
            await c.query(
              `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE $1 AND pid <> pg_backend_pid()`,
              [`sluice:${s}%`],
            )
          ).rowCount,
      );
      assert.ok((killed ?? 0) >= 2, 'pool and LISTEN connections were terminated');
      let succeeded = false;
      for (let i = 0; i < 5 && !succeeded; i++) {
        try {
          await backend.stats();
          succeeded = true;
        } catch (error) {
          assert.equal((error as { code?: string }).code, ErrorCodes.backendUnavailable, String(error));
        }
      }
      assert.ok(succeeded, 'the pool reconnects');
      // The LISTEN connection reconnects by itself: an enqueue through the other handle is heard again.
      for (;;) {
        const heard = nextEvent(backend, 'jobs:enqueued').then(() => true);
        await other.enqueue({ jobs: [toNewJob({ type: 'noop' })] });
        const timeout = new Promise<false>((resolve) => setTimeout(() => resolve(false), 500).unref());
        if (await Promise.race([heard, timeout])) break;
      }
    } finally {
      await backend.close();
      await other.close();
    }
  });

  test('an unreachable server fails open with SLUICE_BACKEND_UNAVAILABLE', async () => {
    await assert.rejects(openPostgresBackend({ url: 'postgres://postgres@127.0.0.1:1/test' }), (error: unknown) => {
      assert.equal((error as { code?: string }).code, ErrorCodes.backendUnavailable, String(error));
      return true;
    });
  });

  test('claimIds probes each delivered id by primary key, whatever the statistics say about the queue', async () => {
    // A freshly loaded, never analysed table is where the planner used to pick the claim index and
    // filter every waiting job (cost growing with depth) instead of probing the 50 delivered ids.
    const s = schema();
    const backend = await openPostgresBackend({ url: PG_URL, schema: s });
    try {
      const specs = Array.from({ length: 1_000 }, (_, i) => toNewJob({ type: 'noop', input: { i } }));
      for (let i = 0; i < 5; i++) await backend.enqueue({ jobs: specs.map((job) => ({ ...job, id: crypto.randomUUID() })) });
      const ids = (await admin((c) => c.query<{ id: string }>(`SELECT id FROM "${s}".jobs ORDER BY id LIMIT 50`))).rows.map(
        (r) => r.id,
      );
      const sql = buildStatements(s).claimIds.text;
      const plan = await admin(async (c) => {
        await c.query('BEGIN');
        try {
          const { rows } = await c.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`, [Date.now(), ids, ['noop'], 30_000, 'w', null]);
          return planNodes(rows[0]['QUERY PLAN']);
        } finally {
          await c.query('ROLLBACK');
        }
      });
      assert.ok(!plan.some((node) => node['Index Name'] === 'jobs_claim'), 'claimIds must not walk the claim index');
      assert.ok(plan.some((node) => node['Index Name'] === 'jobs_pkey'));
      const removed = plan.reduce((sum, node) => sum + Number(node['Rows Removed by Filter'] ?? 0), 0);
      assert.ok(removed < 50, `rows read and dropped: ${removed}`);
      const claimed = await backend.claimIds!({ ids, leaseMs: 30_000, workerId: 'w' });
      assert.equal(claimed.length, 50);
    } finally {
      await backend.close();
    }
  });

  test('a prepared claim keeps walking the claim index on an analysed deep queue, however often it runs', async () => {
    // Forcing cached generic plans once made the claim a hash join over a scan of every job (26 ms
    // at 100k queued, growing with depth): a generic plan cannot see the LIMIT. The adapter's own
    // connection, the statement prepared and run past PostgreSQL's five-execution plan choice.
    const s = schema();
    const backend = await openPostgresBackend({ url: PG_URL, schema: s });
    const pool = (backend as unknown as { pool: pg.Pool }).pool;
    const client = await pool.connect();
    try {
      for (let i = 0; i < 20; i++)
        await backend.enqueue({ jobs: Array.from({ length: 1_000 }, (_, n) => toNewJob({ type: 'noop', input: { n } })) });
      await client.query(`ANALYZE "${s}".jobs`);
      const statements = buildStatements(s);
      // Each form with its queue parameter: a list for the general claim, one name for the one-queue claim.
      for (const [name, statement, queueType, queueArg] of [
        ['claim', statements.claim, 'text[]', "ARRAY['default']"],
        ['claimOneQueue', statements.claimOneQueue, 'text', "'default'"],
      ] as const) {
        await client.query('BEGIN');
        try {
          const prepared = `probe_${name}`;
          await client.query(`PREPARE ${prepared}(bigint, ${queueType}, text[], int, bigint, text, text) AS ${statement.text}`);
          const args = `NULL, ${queueArg}, ARRAY['noop'], 50, 30000, 'w', NULL`;
          for (let i = 0; i < 8; i++) await client.query(`EXECUTE ${prepared}(${args})`);
          const { rows } = await client.query(`EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE ${prepared}(${args})`);
          const nodes = planNodes(rows[0]['QUERY PLAN']);
          const scans = nodes.filter((node) => node['Node Type'] === 'Seq Scan' && node['Relation Name'] === 'jobs');
          assert.equal(scans.length, 0, `${name} scans the jobs table`);
          assert.ok(
            nodes.some((node) => node['Index Name'] === 'jobs_claim'),
            `${name} walks jobs_claim`,
          );
        } finally {
          await client.query('ROLLBACK');
        }
      }
    } finally {
      client.release();
      await backend.close();
    }
  });

  test('a claim commits without waiting for the WAL flush, in its own transaction only; completions wait', async () => {
    const s = schema();
    const backend = await openPostgresBackend({ url: PG_URL, schema: s, poolSize: 1 });
    const pool = (backend as unknown as { pool: pg.Pool }).pool;
    try {
      await backend.enqueue({ jobs: [toNewJob({ type: 'noop' }), toNewJob({ type: 'noop' })] });
      const statements = buildStatements(s);
      const setting = async (client: pg.PoolClient | pg.Client) =>
        (await client.query<{ synchronous_commit: string }>('SHOW synchronous_commit')).rows[0]!.synchronous_commit;
      // Inside one transaction each claim form turns synchronous_commit off for that transaction.
      await admin(async (c) => {
        for (const [statement, args] of [
          [statements.claimOneQueue, [null, 'default', null, 1, 30_000, 'w', null]],
          [statements.claim, [null, ['default'], null, 1, 30_000, 'w', null]],
        ] as const) {
          await c.query('BEGIN');
          try {
            const { rowCount } = await c.query(statement.text, [...args]);
            assert.equal(rowCount, 1);
            assert.equal(await setting(c), 'off');
          } finally {
            await c.query('ROLLBACK');
          }
          assert.equal(await setting(c), 'on', 'the setting ends with the transaction');
        }
      });
      // Through the adapter (one pooled connection): the claim's setting does not outlive it, so the
      // completion that follows on the same session commits synchronously.
      const [claimed] = await backend.claim({ queues: ['default'], limit: 1, leaseMs: 30_000, workerId: 'w' });
      assert.ok(claimed);
      const client = await pool.connect();
      try {
        assert.equal(await setting(client), 'on');
      } finally {
        client.release();
      }
      const [outcome] = await backend.complete({ items: [{ id: claimed.id, leaseToken: claimed.leaseToken, output: 1 }] });
      assert.equal(outcome?.result, 'ok');
    } finally {
      await backend.close();
    }
  });

  test('batch statements called with one item each settle on a generic plan (no planning per call)', async () => {
    const s = schema();
    const backend = await openPostgresBackend({ url: PG_URL, schema: s, poolSize: 1 });
    const pool = (backend as unknown as { pool: pg.Pool }).pool;
    try {
      const lease = { leaseMs: 30_000, workerId: 'w' };
      for (let round = 0; round < 8; round++) {
        const jobs = Array.from({ length: 4 }, () => toNewJob({ type: 'noop' }));
        await backend.enqueue({ jobs });
        // One id per claim: the one-row batches a worker at concurrency 1 sends on the amqp transport.
        const claimed = [];
        for (const job of jobs) claimed.push(...(await backend.claimIds!({ ids: [job.id], ...lease })));
        const [a, b, c, d] = claimed;
        assert.ok(a && b && c && d);
        const { lost } = await backend.heartbeat({ leases: [{ id: a.id, leaseToken: a.leaseToken }], leaseMs: 30_000 });
        assert.deepEqual(lost, []);
        assert.equal(
          (await backend.complete({ items: [{ id: a.id, leaseToken: a.leaseToken, output: null }] }))[0]?.result,
          'ok',
        );
        const error = { code: 'E', message: 'e' };
        assert.equal(
          (await backend.fail({ items: [{ id: b.id, leaseToken: b.leaseToken, outcome: 'retry', delayMs: 0, error }] }))[0]
            ?.result,
          'ok',
        );
        assert.equal(
          (await backend.fail({ items: [{ id: c.id, leaseToken: c.leaseToken, outcome: 'fail', error }] }))[0]?.result,
          'ok',
        );
        assert.equal((await backend.release({ items: [{ id: d.id, leaseToken: d.leaseToken }] }))[0]?.result, 'ok');
      }
      const client = await pool.connect();
      try {
        const { rows } = await client.query<{ name: string; generic_plans: string; custom_plans: string }>(
          'SELECT name, generic_plans, custom_plans FROM pg_prepared_statements',
        );
        const statements = buildStatements(s);
        for (const statement of [
          statements.claimIds,
          statements.heartbeat,
          statements.complete,
          statements.fail,
          statements.release,
        ]) {
          const row = rows.find((r) => r.name === statement.name);
          assert.ok(row, `${statement.name} was prepared on the connection`);
          // The plan cache tries five custom plans, then keeps the generic one if it is not dearer.
          assert.ok(Number(row.custom_plans) <= 5, `${statement.name}: ${row.custom_plans} custom plans`);
          assert.ok(Number(row.generic_plans) > 0, `${statement.name}: no generic plan`);
        }
      } finally {
        client.release();
      }
    } finally {
      await backend.close();
    }
  });

  test('capabilities: cross-process events, several machines', async () => {
    const backend = await openPostgresBackend({ url: PG_URL, schema: schema() });
    assert.equal(backend.capabilities.crossProcessEvents, true);
    assert.equal(backend.capabilities.multiMachine, true);
    await backend.close();
    await backend.close();
    await assert.rejects(backend.ping(), (error: unknown) => (error as { code?: string }).code === ErrorCodes.backendUnavailable);
  });

  test('records: a purge deletes in statements of RECORD_PURGE_BATCH rows, up to its limit or until none are left', async () => {
    const clock = new FakeClock();
    const s = schema();
    const backend = (await openPostgresBackend({ url: PG_URL, schema: s, clock, poolSize: 2 })) as PostgresBackend;
    try {
      // More expired records than one statement deletes, written in one INSERT (expired at the clock's now).
      await admin((c) =>
        c.query(
          `INSERT INTO "${s}".records (namespace, key, value, expires_at)
           SELECT 'old', lpad(i::text, 6, '0'), 'null', $1::bigint FROM generate_series(1, $2::int) AS i`,
          [clock.now(), RECORD_PURGE_BATCH + 3],
        ),
      );
      await backend.putRecord({ namespace: 'new', key: 'k', value: 'live', ttlMs: 60_000 });
      const statements = countStatements(backend);
      try {
        assert.equal(await backend.purgeExpiredRecords({ limit: RECORD_PURGE_BATCH + 1 }), RECORD_PURGE_BATCH + 1);
        assert.equal(statements.count, 2, 'a full batch, then the one row left of the limit');
        assert.equal(await backend.purgeExpiredRecords(), 2);
        assert.equal(statements.count, 3, 'a short batch ends the pass');
      } finally {
        statements.restore();
      }
      const left = await admin((c) => c.query(`SELECT namespace, key FROM "${s}".records`));
      assert.deepEqual(left.rows, [{ namespace: 'new', key: 'k' }]);
    } finally {
      await backend.close();
    }
  });
});

/**
 * Every node of an EXPLAIN (FORMAT JSON) plan, depth first. The adapter's own connections keep JSON
 * as text (see PG_TYPES); a plain client parses it.
 */
function planNodes(explain: unknown): Array<Record<string, unknown>> {
  if (typeof explain === 'string') return planNodes(JSON.parse(explain));
  const out: Array<Record<string, unknown>> = [];
  const walk = (node: Record<string, unknown>) => {
    out.push(node);
    for (const child of (node.Plans as Array<Record<string, unknown>> | undefined) ?? []) walk(child);
  };
  for (const entry of explain as Array<{ Plan: Record<string, unknown> }>) walk(entry.Plan);
  return out;
}

/** Counts the statements a backend sends on its pool (the write itself, and any notifier flush). */
function countStatements(backend: unknown): { count: number; restore: () => void } {
  const pool = (backend as { pool: pg.Pool }).pool;
  const poolQuery = pool.query.bind(pool);
  const counter = {
    count: 0,
    restore: () => {
      pool.query = poolQuery as pg.Pool['query'];
    },
  };
  pool.query = ((...args: Parameters<pg.Pool['query']>) => {
    counter.count++;
    return poolQuery(...args);
  }) as pg.Pool['query'];
  return counter;
}
