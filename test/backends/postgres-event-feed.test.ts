import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { inLongTransaction } from '../../src/backends/postgres/long-statements.js';
import { migrate } from '../../src/backends/postgres/migrations.js';
import { openPostgresBackend, type PostgresBackend } from '../../src/backends/postgres/postgres-backend.js';
import type { Backend, FeedEvent } from '../../src/core/backend.js';
import { withCapability } from '../../src/core/backend.js';
import { backoffText } from '../../src/core/backoff-text.js';
import { ErrorCodes } from '../../src/core/errors.js';
import { toNewJob } from '../../src/core/new-job.js';
import { EVENT_PAGE_LIMIT } from '../../src/core/ports/event-log.js';
import { nextEvent, rejectsWithCode } from '../conformance/harness.js';
import { pgStoreSkip, pgUrl } from '../helpers/store-rig.js';

/**
 * What the PostgreSQL feed promises beyond the conformance cases: its cursor never passes a
 * transaction that commits late, a transaction open elsewhere only holds it back, its scan is
 * bounded, its cursor text is checked strictly, and a schema from before the event log upgrades.
 */

const PG_URL = pgUrl;

const skip = await pgStoreSkip();

function log(backend: Backend) {
  const found = withCapability(backend, 'eventLog');
  assert.ok(found, 'the postgres backend declares the event log');
  return found;
}

/** Every page after `after`, until an empty one. */
async function readAll(backend: Backend, after: string, limit = 10): Promise<{ events: FeedEvent[]; cursor: string }> {
  const events: FeedEvent[] = [];
  let cursor = after;
  for (;;) {
    const page = await log(backend).feed({ after: cursor, limit });
    events.push(...page.events);
    cursor = page.cursor;
    if (page.events.length === 0) return { events, cursor };
  }
}

/** A connection of its own (not the backend's pool), for a transaction the test holds open. */
async function connect(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  return client;
}

describe('postgres event feed', { skip }, () => {
  const schemas: string[] = [];
  const schema = (): string => {
    const name = `sluice_test_${randomBytes(6).toString('hex')}`;
    schemas.push(name);
    return name;
  };
  after(async () => {
    const client = await connect();
    try {
      for (const name of schemas) await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
    } finally {
      await client.end();
    }
  });

  test('a transaction that appended first and commits last is read by a reader already past the later one', async () => {
    const s = schema();
    const backend = await openPostgresBackend({ url: PG_URL, schema: s });
    const early = await connect();
    try {
      const head = await log(backend).feed({ limit: 0 });
      const appended: string[] = [];
      const off = backend.events.on('events:appended', (p) => appended.push(p.id));

      // The early transaction appends first (its events take the lower pos) and stays open.
      await early.query('BEGIN');
      const [x] = await backend.enqueue({ jobs: [toNewJob({ type: 'noop', queue: 'early' })], connection: early });
      // A later one, on the backend's pool, commits at once.
      const [y] = await backend.enqueue({ jobs: [toNewJob({ type: 'noop', queue: 'late' })] });
      assert.ok(x && y);
      assert.deepEqual(appended, [y.job.id], 'the open transaction has told nobody yet');

      // A reader now: a `pos > cursor` feed would return Y and put its cursor past X's pos.
      const before = await readAll(backend, head.cursor);
      assert.ok(
        before.events.every((e) => e.jobId !== y.job.id),
        'nothing past the open transaction is handed out while it may still commit',
      );

      const heard = nextEvent(backend, 'events:appended', (p) => p.id === x.job.id);
      await early.query('COMMIT');
      assert.deepEqual(await heard, { id: x.job.id, queue: 'early', seq: 1 }, 'the wake-up came with the commit');
      off();

      // The premise: X took its pos before Y and committed after it.
      const { rows } = await early.query<{ job_id: string; pos: string }>(
        `SELECT job_id, pos FROM "${s}".job_events WHERE job_id = ANY($1)`,
        [[x.job.id, y.job.id]],
      );
      const pos = new Map(rows.map((r) => [r.job_id, BigInt(r.pos)]));
      assert.ok(pos.get(x.job.id)! < pos.get(y.job.id)!, 'the early transaction holds the lower pos');

      const rest = await readAll(backend, before.cursor);
      assert.deepEqual(
        [...before.events, ...rest.events].map((e) => [e.jobId, e.type]),
        [
          [x.job.id, 'job.created'],
          [y.job.id, 'job.created'],
        ],
        'both, once each, in transaction order',
      );
    } finally {
      await early.query('ROLLBACK').catch(() => undefined);
      await early.end();
      await backend.close();
    }
  });

  test('a transaction open elsewhere holds the feed back without losing anything', async () => {
    const backend = await openPostgresBackend({ url: PG_URL, schema: schema() });
    const other = await connect();
    try {
      const head = await log(backend).feed({ limit: 0 });
      // Any transaction with an id, in any schema or database of the server, is older than what follows.
      await other.query('BEGIN');
      await other.query('SELECT pg_current_xact_id()');
      const [job] = await backend.enqueue({ jobs: [toNewJob({ type: 'noop' })] });
      assert.ok(job);
      const held = await log(backend).feed({ after: head.cursor, limit: 10 });
      assert.deepEqual(held.events, [], 'held back: a transaction older than the event is open');
      const end = await log(backend).feed({ limit: 0 });
      await other.query('COMMIT');
      for (const cursor of [held.cursor, end.cursor]) {
        const page = await readAll(backend, cursor);
        assert.deepEqual(
          page.events.map((e) => [e.jobId, e.type]),
          [[job.job.id, 'job.created']],
          `read after ${cursor}`,
        );
      }
    } finally {
      await other.query('ROLLBACK').catch(() => undefined);
      await other.end();
      await backend.close();
    }
  });

  test('a filtered read scans a bounded number of events and its cursor passes them', async () => {
    const backend = await openPostgresBackend({ url: PG_URL, schema: schema() });
    try {
      const head = await log(backend).feed({ limit: 0 });
      const noise = Array.from({ length: 10 * EVENT_PAGE_LIMIT + 1 }, () => toNewJob({ type: 'noop', queue: 'noise' }));
      await backend.enqueue({ jobs: noise });
      const [wanted] = await backend.enqueue({ jobs: [toNewJob({ type: 'noop', queue: 'wanted' })] });
      assert.ok(wanted);
      const first = await log(backend).feed({ after: head.cursor, queue: 'wanted', limit: 10 });
      assert.deepEqual(first.events, [], 'the first read stopped at its scan bound, short of the match');
      assert.notEqual(first.cursor, head.cursor, 'its cursor passed what it scanned');
      const second = await log(backend).feed({ after: first.cursor, queue: 'wanted', limit: 10 });
      assert.deepEqual(
        second.events.map((e) => e.jobId),
        [wanted.job.id],
      );
    } finally {
      await backend.close();
    }
  });

  test('cursors are "xid:pos" and anything else is refused naming after', async () => {
    const backend = await openPostgresBackend({ url: PG_URL, schema: schema() });
    try {
      const end = await log(backend).feed({ limit: 0 });
      assert.match(end.cursor, /^[1-9][0-9]*:0$/, 'the end is the horizon');
      assert.deepEqual((await log(backend).feed({ after: '0:0', limit: 5 })).events, []);
      for (const after of ['1', '1:2:3', '01:2', '1:02', ' 1:2', '1:-2', '18446744073709551616:0', '1:9223372036854775808']) {
        const error = await rejectsWithCode(log(backend).feed({ after, limit: 5 }), ErrorCodes.validation);
        assert.equal(error.field, 'after', after);
      }
    } finally {
      await backend.close();
    }
  });

  test('a schema from before the event log upgrades; its jobs start their log with their next change', async () => {
    const s = schema();
    const pool = new pg.Pool({ connectionString: PG_URL, max: 1 });
    const old = toNewJob({ type: 'noop', queue: 'old' });
    try {
      const timeouts = { connectTimeoutMs: 5_000, statementTimeoutMs: 5_000, queryTimeoutMs: 6_000 };
      const bounds = { ...timeouts, idleInTransactionTimeoutMs: 60_000, longStatementTimeoutMs: 60_000 };
      // Version 4: the schema before the event log, with a job stored by that version.
      await inLongTransaction(pool, bounds, async (client) => {
        assert.deepEqual(await migrate(client, s, 4), { from: 0, to: 4 });
        const now = Date.now();
        await client.query(
          `INSERT INTO "${s}".jobs (id, queue, type, status, input, priority, max_attempts, backoff, created_at, run_at, updated_at)
           VALUES ($1, 'old', 'noop', 'queued', 'null', 0, 3, $2, $3, $3, $3)`,
          [old.id, backoffText(old.backoff), now],
        );
      });
    } finally {
      await pool.end();
    }
    const backend = (await openPostgresBackend({ url: PG_URL, schema: s })) as PostgresBackend;
    try {
      assert.deepEqual(await log(backend).jobEvents({ id: old.id }), [], 'known, with no events yet');
      const [claimed] = await backend.claim({ queues: ['old'], limit: 1, leaseMs: 30_000, workerId: 'w' });
      assert.ok(claimed);
      await backend.complete({ items: [{ id: claimed.id, leaseToken: claimed.leaseToken, output: 'done' }] });
      assert.deepEqual(
        (await log(backend).jobEvents({ id: old.id }))?.map((e) => [e.seq, e.type]),
        [
          [1, 'job.started'],
          [2, 'job.succeeded'],
        ],
      );
      const [fresh] = await backend.enqueue({ jobs: [toNewJob({ type: 'noop' })] });
      assert.ok(fresh);
      assert.deepEqual(
        (await log(backend).jobEvents({ id: fresh.job.id }))?.map((e) => [e.seq, e.type]),
        [[1, 'job.created']],
      );
    } finally {
      await backend.close();
    }
  });
});
