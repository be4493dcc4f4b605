import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { DEFAULT_POSTGRES_TIMEOUTS, parsePostgresUrl } from '../../src/backends/postgres/connection.js';
import { openPostgresBackend } from '../../src/backends/postgres/postgres-backend.js';
import { ErrorCodes, hasErrorCode } from '../../src/core/errors.js';
import { toNewJob } from '../../src/core/new-job.js';
import { buildApp } from '../../src/server/app.js';
import { Sluice } from '../../src/sluice.js';
import { serviceSkipReason } from '../helpers/require-service.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { until } from '../helpers/until.js';

const PG_URL = process.env.SLUICE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const target = new URL(PG_URL);

const skip = await serviceSkipReason('PostgreSQL', PG_URL, async () => {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => undefined);
  }
});

/** Short bounds for the test; long enough that no healthy call on a loaded machine reaches them. */
const BOUNDS = 'queryTimeoutMs=1500&statementTimeoutMs=1000&connectTimeoutMs=1000';

async function outcome<T>(call: Promise<T>): Promise<{ ok: T } | { code: string }> {
  try {
    return { ok: await call };
  } catch (error) {
    return { code: hasErrorCode(error, ErrorCodes.backendUnavailable) ? ErrorCodes.backendUnavailable : String(error) };
  }
}

describe('postgres URL: timeouts', () => {
  test('are read from the query, with defaults, and never reach the server as startup options', () => {
    const parsed = parsePostgresUrl('postgres://u@h:5432/db?schema=s&statementTimeoutMs=700&queryTimeoutMs=900');
    assert.equal(parsed.schema, 's');
    assert.equal(parsed.timeouts.statementTimeoutMs, 700);
    assert.equal(parsed.timeouts.queryTimeoutMs, 900);
    assert.ok(parsed.timeouts.connectTimeoutMs > 0);
    assert.ok(parsed.timeouts.idleInTransactionTimeoutMs > 0);
    assert.equal(parsed.connectionString, 'postgres://u@h:5432/db');
  });

  test('by default an ordinary call gives up before a waiting client does; long statements get longer', () => {
    const bounds = DEFAULT_POSTGRES_TIMEOUTS;
    // The chaos client waits 10 s for a submit and 5 s for a read: a connection that silently lost
    // its request must have answered 503 by then.
    assert.ok(bounds.queryTimeoutMs <= 5_000, `queryTimeoutMs ${bounds.queryTimeoutMs}`);
    assert.ok(bounds.statementTimeoutMs < bounds.queryTimeoutMs, 'the server cancels a slow statement first');
    assert.ok(bounds.longStatementTimeoutMs > bounds.queryTimeoutMs);
    assert.equal(parsePostgresUrl('postgres://u@h/db?longStatementTimeoutMs=90000').timeouts.longStatementTimeoutMs, 90_000);
  });

  test('a value that is not a positive whole number is a SLUICE_CONFIG error naming it', () => {
    for (const bad of ['0', '-1', '2.5', 'never']) {
      assert.throws(
        () => parsePostgresUrl(`postgres://u@h/db?queryTimeoutMs=${bad}`),
        (e: unknown) => hasErrorCode(e, ErrorCodes.config) && (e as Error).message.includes('queryTimeoutMs'),
      );
    }
  });
});

describe('postgres: a stalled or dropping network (invariant 7)', { skip }, () => {
  let proxy: TcpProxy;
  let schema: string;
  let direct: Sluice;

  before(async () => {
    proxy = await TcpProxy.start({ port: Number(target.port || 5432) });
  });
  after(async () => {
    await proxy.close();
  });

  const proxiedUrl = (bounds: string) => {
    const url = new URL(PG_URL);
    url.host = `127.0.0.1:${proxy.port}`;
    return `${url.toString()}?schema=${schema}&${bounds}`;
  };
  const open = async () => {
    schema = `sluice_test_${randomBytes(6).toString('hex')}`;
    direct = await Sluice.connect(`${PG_URL}?schema=${schema}`);
  };
  const close = async (...handles: Sluice[]) => {
    proxy.setMode('pass');
    for (const handle of handles) await handle.close({ graceMs: 0 });
    await direct.close();
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  };

  test('held bytes: a submit fails with SLUICE_BACKEND_UNAVAILABLE, and succeeds once the network passes', {
    timeout: 30_000,
  }, async () => {
    await open();
    const viaProxy = await Sluice.connect(proxiedUrl(BOUNDS));
    try {
      await viaProxy.enqueue({ queue: 'q', type: 'echo', input: 0 });
      proxy.setMode('hold');
      assert.deepEqual(await outcome(viaProxy.enqueue({ queue: 'q', type: 'echo', input: 1 })), {
        code: ErrorCodes.backendUnavailable,
      });
      proxy.setMode('pass');
      const later = await until(async () => {
        const attempt = await outcome(viaProxy.enqueue({ queue: 'q', type: 'echo', input: 2 }));
        return 'ok' in attempt ? attempt.ok : undefined;
      }, 'an enqueue that succeeds after the stall');
      assert.equal((await direct.getOrThrow(later.id)).input, 2);
    } finally {
      await close(viaProxy);
    }
  });

  test('/readyz answers 503 on its own bound while every query would still wait', { timeout: 20_000 }, async () => {
    await open();
    // Query and connect timeouts far beyond the test's own: only the readiness bound can answer.
    const viaProxy = await Sluice.connect(proxiedUrl('queryTimeoutMs=600000&connectTimeoutMs=600000'));
    const app = await buildApp({ sluice: viaProxy, readyTimeoutMs: 500 });
    try {
      assert.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
      proxy.setMode('hold');
      const notReady = await app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(notReady.statusCode, 503);
      assert.equal(notReady.json().error.code, ErrorCodes.backendUnavailable);
      proxy.setMode('pass');
      assert.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
    } finally {
      await app.close();
      await close(viaProxy);
    }
  });

  test('a worker cut off by a silently dropping network finishes the queued jobs once it passes', {
    timeout: 60_000,
  }, async () => {
    await open();
    const viaProxy = await Sluice.connect(proxiedUrl(BOUNDS));
    const worker = viaProxy.worker({ handlers: { echo: ({ job }) => job.input }, pollIntervalMs: 200, leaseMs: 5_000 });
    try {
      await worker.start();
      const warm = await direct.enqueue({ queue: 'default', type: 'echo', input: 'warm' });
      assert.equal((await direct.waitFor(warm.id, { timeoutMs: 20_000 })).status, 'succeeded');
      const claimFailed = worker.once('error', ({ during }) => during === 'claim');
      proxy.setMode('drop');
      const accepted = await direct.enqueueMany([
        { queue: 'default', type: 'echo', input: 'a' },
        { queue: 'default', type: 'echo', input: 'b' },
      ]);
      await claimFailed;
      proxy.setMode('pass');
      for (const job of accepted) {
        const done = await direct.waitFor(job.id, { timeoutMs: 40_000 });
        assert.equal(done.status, 'succeeded');
        assert.equal(done.output, job.input);
      }
    } finally {
      await close(viaProxy);
    }
  });
});

describe('postgres: migrations keep a long bound, everything else the short one', { skip }, () => {
  const schemas: string[] = [];
  const urlOf = (schema: string) =>
    `${PG_URL}?schema=${schema}&statementTimeoutMs=300&queryTimeoutMs=800&longStatementTimeoutMs=20000`;
  const fresh = () => {
    const schema = `sluice_test_${randomBytes(6).toString('hex')}`;
    schemas.push(schema);
    return schema;
  };
  after(async () => {
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  test('under table locks a read and stats give up on the short bound; a migration waits them out', {
    timeout: 30_000,
  }, async () => {
    const schema = fresh();
    const backend = await openPostgresBackend({ url: urlOf(schema) });
    const locker = new pg.Client({ connectionString: PG_URL });
    await locker.connect();
    let second: Awaited<ReturnType<typeof openPostgresBackend>> | undefined;
    try {
      const [created] = await backend.enqueue({ jobs: [toNewJob({ queue: 'q', type: 'echo', input: 1 })] });
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE "${schema}".jobs, "${schema}".sluice_migrations IN ACCESS EXCLUSIVE MODE`);
      const opening = openPostgresBackend({ url: urlOf(schema) });
      assert.deepEqual(await outcome(backend.get({ id: created!.job.id })), { code: ErrorCodes.backendUnavailable });
      assert.deepEqual(await outcome(backend.stats({ queue: 'q' })), { code: ErrorCodes.backendUnavailable });
      // Both ordinary calls have failed on their bound; the migration check is still waiting.
      await locker.query('COMMIT');
      second = await opening;
      assert.equal((await second.get({ id: created!.job.id }))?.status, 'queued');
    } finally {
      await locker.end().catch(() => undefined);
      await second?.close();
      await backend.close();
    }
  });

  test('a retention pass without a limit deletes in batches until none are left', { timeout: 60_000 }, async () => {
    const schema = fresh();
    const backend = await openPostgresBackend({ url: `${PG_URL}?schema=${schema}` });
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    try {
      const total = 12_345;
      for (let i = 0; i < total; i += 1_000) {
        const count = Math.min(1_000, total - i);
        await backend.enqueue({ jobs: Array.from({ length: count }, () => toNewJob({ queue: 'q', type: 'echo' })) });
      }
      await admin.query(`UPDATE "${schema}".jobs SET status = 'succeeded', finished_at = 0`);
      assert.equal(await backend.purgeFinished({ finishedOlderThanMs: 0 }), total);
      assert.equal((await admin.query(`SELECT count(*)::int AS n FROM "${schema}".jobs`)).rows[0].n, 0);
    } finally {
      await admin.end();
      await backend.close();
    }
  });
});
