import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { FEED_SCAN_ROWS } from '../../src/backends/sqlite/event-log.js';
import { toInsertArgs } from '../../src/backends/sqlite/row-mapping.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../../src/backends/sqlite/schema.js';
import { SqliteBackend } from '../../src/backends/sqlite/sqlite-backend.js';
import { ErrorCodes } from '../../src/core/errors.js';
import { toNewJob } from '../../src/core/new-job.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/** What the conformance suite cannot see: the upgrade of an older file, the feed's scan bound, the batch paths. */
describe('sqlite event log', () => {
  let tmp: { dir: string; cleanup: () => void };
  let n = 0;
  const freshPath = () => join(tmp.dir, `case-${++n}`, 'sluice.db');
  const lease = { leaseMs: 30_000, workerId: 'w' };

  before(() => {
    tmp = makeTempDir('sluice-sqlite-events-');
  });
  after(() => tmp.cleanup());

  test('a file of schema version 4 upgrades in place; its jobs log from their next change, at seq 1', async () => {
    const path = freshPath();
    mkdirSync(dirname(path), { recursive: true });
    const clock = new FakeClock();
    // The file as the previous release left it: migrations 1-4, and jobs in its columns (no last_seq).
    const old = new Database(path);
    old.pragma('journal_mode = WAL');
    MIGRATIONS.slice(0, 4).forEach((sql, i) => {
      old.exec(sql);
      old.pragma(`user_version = ${i + 1}`);
    });
    const waiting = toNewJob({ type: 'noop', input: { n: 1 } });
    const running = toNewJob({ type: 'noop', input: { n: 2 }, maxAttempts: 1 });
    const insertV4 = old.prepare(`INSERT INTO jobs (id, queue, type, status, input, priority, max_attempts, backoff,
      timeout_ms, idempotency_key, metadata, tenant, created_at, run_at, updated_at, request_hash)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    insertV4.run(...toInsertArgs(waiting, clock.now()));
    insertV4.run(...toInsertArgs(running, clock.now()));
    // A lease taken before the upgrade, by a worker that then went away.
    old
      .prepare(`UPDATE jobs SET status = 'running', attempts = 1, lease_token = 'old', lease_expires_at = ? WHERE id = ?`)
      .run(clock.now() + 1_000, running.id);
    old.close();

    const backend = await SqliteBackend.open({ path, clock });
    try {
      assert.equal(backend.settings().schemaVersion, SCHEMA_VERSION);
      assert.match(MIGRATIONS[4]!, /CREATE TABLE job_events/, 'this test upgrades from the version before the event log');
      assert.deepEqual(await backend.jobEvents({ id: waiting.id }), [], 'a known job, no log yet');
      assert.equal((await backend.get({ id: waiting.id }))?.status, 'queued');

      const [claimed] = await backend.claim({ queues: ['default'], limit: 1, ...lease });
      assert.equal(claimed?.id, waiting.id);
      await backend.complete({ items: [{ id: claimed!.id, leaseToken: claimed!.leaseToken, output: 'done' }] });
      clock.advance(1_000);
      assert.deepEqual(await backend.reclaimExpired(), { requeued: 0, failed: 1 });

      const logOf = async (id: string) => (await backend.jobEvents({ id }))?.map((e) => [e.seq, e.type, e.attempt]);
      assert.deepEqual(await logOf(waiting.id), [
        [1, 'job.started', 1],
        [2, 'job.succeeded', 1],
      ]);
      assert.deepEqual(await logOf(running.id), [
        [1, 'job.lost', 1],
        [2, 'job.failed', 1],
      ]);
      const [fresh] = await backend.enqueue({ jobs: [toNewJob({ type: 'noop' })] });
      assert.deepEqual(await logOf(fresh!.job.id), [[1, 'job.created', undefined]]);
      const feed = await backend.feed({ limit: 10 });
      assert.deepEqual(
        feed.events.map((e) => [e.jobId, e.seq]),
        [
          [waiting.id, 1],
          [waiting.id, 2],
          [running.id, 1],
          [running.id, 2],
          [fresh!.job.id, 1],
        ],
      );
    } finally {
      await backend.close();
    }
  });

  test('a filtered page reads at most FEED_SCAN_ROWS events, and its cursor moves past them', async () => {
    const backend = await SqliteBackend.open({ path: freshPath(), clock: new FakeClock() });
    try {
      await backend.enqueue({ jobs: Array.from({ length: FEED_SCAN_ROWS + 5 }, () => toNewJob({ type: 'noop', queue: 'a' })) });
      const [target] = await backend.enqueue({ jobs: [toNewJob({ type: 'noop', queue: 'b' })] });
      const first = await backend.feed({ queue: 'b', limit: 10 });
      assert.deepEqual(first.events, [], 'nothing matched in the first FEED_SCAN_ROWS events');
      assert.equal(first.cursor, String(FEED_SCAN_ROWS));
      const second = await backend.feed({ after: first.cursor, queue: 'b', limit: 10 });
      assert.deepEqual(
        second.events.map((e) => e.jobId),
        [target!.job.id],
      );
      assert.equal(second.cursor, second.events[0]!.cursor);
      const unfiltered = await backend.feed({ after: first.cursor, limit: 3 });
      assert.equal(unfiltered.events.length, 3, 'an unfiltered page is always full while events follow');
      assert.equal((await backend.feed({ limit: 0 })).cursor, String(FEED_SCAN_ROWS + 6));
    } finally {
      await backend.close();
    }
  });

  test('a cursor past events that retention deleted still reads every later event (positions are never reused)', async () => {
    const clock = new FakeClock();
    const backend = await SqliteBackend.open({ path: freshPath(), clock });
    try {
      await backend.enqueue({ jobs: [toNewJob({ type: 'noop' })] });
      const [claimed] = await backend.claim({ queues: ['default'], limit: 1, ...lease });
      await backend.complete({ items: [{ id: claimed!.id, leaseToken: claimed!.leaseToken, output: null }] });
      const held = (await backend.feed({ limit: 0 })).cursor;
      assert.equal(held, '3');
      clock.advance(10);
      assert.equal(await backend.purgeFinished({ finishedOlderThanMs: 1 }), 1);
      assert.deepEqual((await backend.feed({ limit: 10 })).events, [], 'the newest events went with their job');
      const [later] = await backend.enqueue({ jobs: [toNewJob({ type: 'noop' })] });
      const page = await backend.feed({ after: held, limit: 10 });
      assert.deepEqual(
        page.events.map((e) => [e.jobId, e.type, e.cursor]),
        [[later!.job.id, 'job.created', '4']],
      );
    } finally {
      await backend.close();
    }
  });

  test('a write that rolls back appends nothing and tells of nothing', async () => {
    const backend = await SqliteBackend.open({ path: freshPath(), clock: new FakeClock() });
    try {
      await backend.enqueue({ jobs: [toNewJob({ type: 'noop', idempotencyKey: 'k', input: 1 })] });
      const head = await backend.feed({ limit: 0 });
      const heard: unknown[] = [];
      backend.events.on('events:appended', (payload) => heard.push(payload), { local: true });
      await assert.rejects(
        backend.enqueue({
          jobs: [toNewJob({ type: 'noop' }), toNewJob({ type: 'noop', idempotencyKey: 'k', input: 2 })],
          mismatch: 'reject',
        }),
        (error: unknown) => (error as { code?: string }).code === ErrorCodes.idempotencyMismatch,
      );
      assert.deepEqual((await backend.feed({ after: head.cursor, limit: 10 })).events, []);
      assert.deepEqual(heard, []);
    } finally {
      await backend.close();
    }
  });

  for (const listening of [false, true]) {
    test(`a batch completion logs each job's output${listening ? ' (a job:finished listener attached)' : ''}`, async () => {
      const backend = await SqliteBackend.open({ path: freshPath(), clock: new FakeClock() });
      try {
        if (listening) backend.events.on('job:finished', () => undefined, { local: true });
        const heard: Array<{ id: string; seq: number }> = [];
        backend.events.on('events:appended', ({ id, seq }) => heard.push({ id, seq }), { local: true });
        await backend.enqueue({ jobs: Array.from({ length: 3 }, () => toNewJob({ type: 'noop' })) });
        const claimed = await backend.claim({ queues: ['default'], limit: 3, ...lease });
        const outputs = [{ text: 'a "quoted" \\ text' }, null, undefined];
        const items = claimed.map((job, i) => ({ id: job.id, leaseToken: job.leaseToken, output: outputs[i] }));
        await backend.complete({ items });
        for (const [i, job] of claimed.entries()) {
          const events = await backend.jobEvents({ id: job.id });
          const succeeded = events?.at(-1);
          assert.equal(succeeded?.type, 'job.succeeded');
          assert.equal(succeeded?.seq, 3);
          assert.deepEqual(succeeded?.data, outputs[i] === undefined ? {} : { output: outputs[i] }, `item ${i}`);
        }
        assert.deepEqual(
          new Set(heard.filter((e) => e.seq === 3).map((e) => e.id)),
          new Set(claimed.map((job) => job.id)),
          'one events:appended per job, with its newest seq',
        );
      } finally {
        await backend.close();
      }
    });
  }
});
