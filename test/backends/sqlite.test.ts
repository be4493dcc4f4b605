import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { openSqliteBackend, SqliteBackend } from '../../src/backends/sqlite/sqlite-backend.js';
import { claimOneSql } from '../../src/backends/sqlite/statements.js';
import type { Backend } from '../../src/core/backend.js';
import { ErrorCodes } from '../../src/core/errors.js';
import { toNewJob } from '../../src/core/new-job.js';
import { runConformance } from '../conformance/index.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { assertReclaimFollowsPolicy } from '../helpers/reclaim-policy-check.js';
import { makeTempDir } from '../helpers/temp-dir.js';

runConformance('sqlite', async ({ clock }) => {
  const tmp = makeTempDir('sluice-sqlite-');
  const path = join(tmp.dir, 'sluice.db');
  const opened: Backend[] = [];
  const open = async (): Promise<Backend> => {
    const backend = await openSqliteBackend({ path, clock });
    opened.push(backend);
    return backend;
  };
  const backend = await open();
  return {
    backend,
    openAnother: open,
    cleanup: async () => {
      for (const b of opened) await b.close();
      tmp.cleanup();
    },
  };
});

describe('sqlite adapter', () => {
  let tmp: { dir: string; cleanup: () => void };
  let n = 0;
  const freshPath = () => join(tmp.dir, `case-${++n}`, 'sluice.db');

  before(() => {
    tmp = makeTempDir('sluice-sqlite-only-');
  });
  after(() => tmp.cleanup());

  test('reclaim decides every case as core reclaim policy does, in one statement', async () => {
    const clock = new FakeClock();
    const backend = await openSqliteBackend({ path: freshPath(), clock });
    try {
      await assertReclaimFollowsPolicy(backend, clock);
    } finally {
      await backend.close();
    }
  });

  test('a completion hands job:finished the output it wrote, alone or in a batch, large or empty', async () => {
    const backend = await openSqliteBackend({ path: freshPath(), clock: new FakeClock() });
    try {
      const heard = new Map<string, unknown>();
      backend.events.on('job:finished', ({ job }) => heard.set(job.id, job.output), { local: true });
      const hasOutput = new Map<string, boolean>();
      backend.events.on('job:finished', ({ job }) => hasOutput.set(job.id, 'output' in job), { local: true });
      await backend.enqueue({ jobs: Array.from({ length: 4 }, () => toNewJob({ type: 'noop' })) });
      const claimed = await backend.claim({ queues: ['default'], limit: 4, leaseMs: 30_000, workerId: 'w' });
      assert.equal(claimed.length, 4);
      const [alone, ...batch] = claimed;
      const large = { n: 150_000, value: '7'.repeat(700_000), quote: 'a "quoted" \\ text' };
      const outputs = [large, null, undefined];
      await backend.complete({ items: [{ id: alone!.id, leaseToken: alone!.leaseToken, output: large }] });
      await backend.complete({ items: batch.map((job, i) => ({ id: job.id, leaseToken: job.leaseToken, output: outputs[i] })) });
      assert.deepEqual(heard.get(alone!.id), large);
      for (const [i, job] of batch.entries()) {
        const expected = outputs[i];
        assert.deepEqual(heard.get(job.id), expected, `batch item ${i}`);
        // What the event carried is what a later read finds.
        assert.deepEqual((await backend.get({ id: job.id }))?.output, expected, `stored batch item ${i}`);
      }
      assert.equal(hasOutput.get(batch[2]!.id), false, 'an undefined output is absent, as on read');
      assert.deepEqual((await backend.get({ id: alone!.id }))?.output, large);
    } finally {
      await backend.close();
    }
  });

  test('creates the parent directory and survives close and reopen with every job', async () => {
    const path = freshPath();
    const clock = new FakeClock();
    const first = await openSqliteBackend({ path, clock });
    assert.ok(existsSync(path));
    const results = await first.enqueue({
      jobs: [
        toNewJob({ type: 'math', input: { question: 'What is 50 divided by 2?' } }),
        toNewJob({ type: 'noop', delayMs: 60_000, idempotencyKey: 'k' }),
        toNewJob({ type: 'noop' }),
      ],
    });
    const [running] = await first.claim({ queues: ['default'], limit: 1, leaseMs: 30_000, workerId: 'w' });
    assert.ok(running);
    await first.pauseQueue({ queue: 'default', paused: true });
    const before = await Promise.all(results.map((r) => first.get({ id: r.job.id })));
    await first.close();

    const second = await openSqliteBackend({ path, clock });
    try {
      const after = await Promise.all(results.map((r) => second.get({ id: r.job.id })));
      assert.deepEqual(after, before);
      assert.equal((await second.stats())[0]?.paused, true);
      const [repeat] = await second.enqueue({ jobs: [toNewJob({ type: 'noop', delayMs: 60_000, idempotencyKey: 'k' })] });
      assert.equal(repeat?.created, false, 'idempotency keys survive a restart');
      assert.deepEqual(await second.complete({ items: [{ id: running.id, leaseToken: running.leaseToken, output: 25 }] }), [
        { id: running.id, result: 'ok' },
      ]);
    } finally {
      await second.close();
    }
  });

  test('uses WAL, the busy timeout, and maps `synchronous` to the pragma (default normal)', async () => {
    const path = freshPath();
    for (const [option, expected] of [
      [undefined, 'normal'],
      ['full', 'full'],
      ['normal', 'normal'],
      ['off', 'off'],
    ] as const) {
      const backend = await SqliteBackend.open({ path, ...(option ? { synchronous: option } : {}), busyTimeoutMs: 1234 });
      try {
        const settings = backend.settings();
        assert.equal(settings.synchronous, expected);
        assert.equal(settings.journalMode, 'wal');
        assert.equal(settings.busyTimeoutMs, 1234);
        assert.equal(settings.walAutocheckpoint, 10_000);
      } finally {
        await backend.close();
      }
    }
    const defaults = await SqliteBackend.open({ path });
    assert.equal(defaults.settings().busyTimeoutMs, 5000);
    await defaults.close();
  });

  test('opening an up-to-date file takes no write lock: another process holding it does not stop a start', async () => {
    const path = freshPath();
    const first = await SqliteBackend.open({ path });
    await first.close();
    const holder = new Database(path);
    holder.exec('BEGIN IMMEDIATE'); // a writer that stalls (SIGSTOP) with the lock held
    try {
      const second = await SqliteBackend.open({ path, busyTimeoutMs: 50 });
      await second.close();
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
  });

  test('a claim limit is written into SQL only as a positive integer', () => {
    assert.match(claimOneSql({ typed: false, tenanted: false }, 7), /LIMIT 7\b/);
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])
      assert.throws(() => claimOneSql({ typed: true, tenanted: false }, bad), RangeError);
  });

  test('migrations are recorded in user_version and idempotent on reopen', async () => {
    const path = freshPath();
    const first = await SqliteBackend.open({ path });
    const version = first.settings().schemaVersion;
    assert.ok(version >= 1);
    await first.enqueue({ jobs: [toNewJob({ type: 'noop' })] });
    await first.close();
    const [a, b] = await Promise.all([SqliteBackend.open({ path }), SqliteBackend.open({ path })]);
    try {
      assert.equal(a.settings().schemaVersion, version);
      assert.equal(b.settings().schemaVersion, version);
      assert.equal((await a.list({ limit: 10 })).jobs.length, 1);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('refuses a database written by a newer schema', async () => {
    const path = freshPath();
    await (await openSqliteBackend({ path })).close();
    const raw = new Database(path);
    raw.pragma('user_version = 999');
    raw.close();
    await assert.rejects(
      openSqliteBackend({ path }),
      (error: unknown) => (error as { code?: string }).code === ErrorCodes.config,
    );
  });

  test('close is idempotent and later calls fail with a coded error', async () => {
    const backend = await openSqliteBackend({ path: freshPath() });
    await backend.ping();
    await backend.close();
    await backend.close();
    await assert.rejects(backend.ping(), (error: unknown) => (error as { code?: string }).code === ErrorCodes.backendUnavailable);
    await assert.rejects(
      backend.enqueue({ jobs: [toNewJob({ type: 'noop' })] }),
      (error: unknown) => (error as { code?: string }).code === ErrorCodes.backendUnavailable,
    );
  });

  test('works in memory', async () => {
    const backend = await openSqliteBackend({ path: ':memory:' });
    try {
      const [result] = await backend.enqueue({ jobs: [toNewJob({ type: 'noop' })] });
      assert.equal((await backend.get({ id: result!.job.id }))?.status, 'queued');
    } finally {
      await backend.close();
    }
  });

  test('declares exactly its capabilities (a flipped flag is a red test)', async () => {
    const backend = await openSqliteBackend({ path: ':memory:' });
    try {
      assert.deepEqual(backend.capabilities, {
        crossProcessEvents: false,
        multiMachine: false,
        claimById: true,
        tenantClaims: true,
        rateBudgets: true,
        usage: true,
        synchronousWrites: true,
        outputText: true,
        eventLog: true,
        records: true,
      });
    } finally {
      await backend.close();
    }
  });

  test('separate processes racing on one file never claim the same job', { timeout: 60_000 }, async () => {
    const path = freshPath();
    const seed = await openSqliteBackend({ path });
    const total = 600;
    await seed.enqueue({ jobs: Array.from({ length: total }, (_, i) => toNewJob({ type: 'noop', input: i })) });
    const fixture = fileURLToPath(new URL('./fixtures/sqlite-claimer.ts', import.meta.url));
    const children = ['p1', 'p2', 'p3'].map((id) =>
      spawn(process.execPath, ['--import', 'tsx', fixture, path, id, '5'], { stdio: ['pipe', 'pipe', 'pipe'] }),
    );
    try {
      const lines = children.map(readLines);
      // Start every process at once, so that they really contend for the write lock.
      await Promise.all(lines.map(async (next) => assert.equal(await next(), 'ready')));
      for (const child of children) child.stdin.write('go\n');
      const claimed = (await Promise.all(lines.map(async (next) => JSON.parse(await next()) as string[]))).flat();
      assert.equal(new Set(claimed).size, claimed.length, 'no job was claimed by two processes');
      assert.equal(claimed.length, total);
      const [stats] = await seed.stats();
      assert.equal(stats?.counts.succeeded, total);
      assert.equal(stats?.counts.running, 0);
    } finally {
      for (const child of children) if (child.exitCode === null) child.kill();
      await seed.close();
    }
  });
});

/** Reads a child's stdout line by line; rejects with its stderr if it exits first. */
function readLines(child: ChildProcessWithoutNullStreams): () => Promise<string> {
  const queue: string[] = [];
  const waiters: Array<{ resolve: (line: string) => void; reject: (error: Error) => void }> = [];
  let stderr = '';
  let ended: Error | undefined;
  child.stderr.on('data', (chunk) => {
    stderr += String(chunk);
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    const waiter = waiters.shift();
    if (waiter) waiter.resolve(line);
    else queue.push(line);
  });
  child.on('exit', (code) => {
    ended = new Error(`claimer exited with ${code}: ${stderr}`);
    for (const waiter of waiters.splice(0)) waiter.reject(ended);
  });
  return () => {
    const line = queue.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (ended) return Promise.reject(ended);
    return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
  };
}
