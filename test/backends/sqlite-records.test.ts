import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { RECORD_PURGE_BATCH } from '../../src/backends/sqlite/records.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../../src/backends/sqlite/schema.js';
import * as sql from '../../src/backends/sqlite/sql/records.js';
import { SqliteBackend } from '../../src/backends/sqlite/sqlite-backend.js';
import { ErrorCodes } from '../../src/core/errors.js';
import { toNewJob } from '../../src/core/new-job.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/** What the conformance suite's records area cannot see: the upgrade, the purge batch, UTF-8 order, the plans. */
describe('sqlite records', () => {
  let tmp: { dir: string; cleanup: () => void };
  let n = 0;
  const freshPath = () => join(tmp.dir, `case-${++n}`, 'sluice.db');

  before(() => {
    tmp = makeTempDir('sluice-sqlite-records-');
  });
  after(() => tmp.cleanup());

  test('a file of the schema before records (version 5) upgrades in place and keeps its jobs', async () => {
    assert.match(MIGRATIONS[SCHEMA_VERSION - 1]!, /CREATE TABLE records/, 'this test undoes the newest migration');
    const path = freshPath();
    const first = await SqliteBackend.open({ path });
    const [stored] = await first.enqueue({ jobs: [toNewJob({ type: 'noop' })] });
    await first.close();
    // The file as the previous release left it: no records table, version one less.
    const raw = new Database(path);
    raw.exec('DROP TABLE records');
    raw.pragma(`user_version = ${SCHEMA_VERSION - 1}`);
    raw.close();

    const backend = await SqliteBackend.open({ path });
    try {
      assert.equal(backend.settings().schemaVersion, SCHEMA_VERSION);
      assert.equal((await backend.get({ id: stored!.job.id }))?.status, 'queued');
      assert.deepEqual(await backend.listRecords({ namespace: 'n' }), []);
      assert.equal(await backend.putRecord({ namespace: 'n', key: 'k', value: { ok: true } }), true);
      assert.deepEqual(await backend.getRecord({ namespace: 'n', key: 'k' }), { ok: true });
    } finally {
      await backend.close();
    }
  });

  test('a purge deletes at most its limit, RECORD_PURGE_BATCH when it names none', async () => {
    const clock = new FakeClock();
    const backend = await SqliteBackend.open({ path: freshPath(), clock });
    try {
      const expired = RECORD_PURGE_BATCH + 3;
      for (let i = 0; i < expired; i++) await backend.putRecord({ namespace: 'p', key: `k${i}`, value: i, ttlMs: 10 });
      await backend.putRecord({ namespace: 'p', key: 'stays', value: 'x' });
      clock.advance(10);
      assert.equal(await backend.purgeExpiredRecords({ limit: 0 }), 0);
      assert.equal(await backend.purgeExpiredRecords({ limit: -1 }), 0, 'a negative limit is no licence to delete all');
      assert.equal(await backend.purgeExpiredRecords({ limit: 2 }), 2);
      assert.equal(await backend.purgeExpiredRecords(), RECORD_PURGE_BATCH);
      assert.equal(await backend.purgeExpiredRecords({ limit: Number.POSITIVE_INFINITY }), 1);
      assert.equal(await backend.purgeExpiredRecords(), 0);
      assert.deepEqual(await backend.listRecords({ namespace: 'p' }), [{ key: 'stays', value: 'x' }]);
    } finally {
      await backend.close();
    }
  });

  test('a list page is a range of the primary key and a purge finds its rows through the expiry index', async () => {
    const path = freshPath();
    await (await SqliteBackend.open({ path })).close();
    const raw = new Database(path, { readonly: true });
    try {
      const plan = (statement: string, args: Record<string, unknown>) =>
        raw
          .prepare<[Record<string, unknown>], { detail: string }>(`EXPLAIN QUERY PLAN ${statement}`)
          .all(args)
          .map((row) => row.detail)
          .join('\n');
      const list = plan(sql.RECORD_LIST, { namespace: 'n', after: '', now: 0, limit: 10 });
      assert.match(list, /SEARCH records USING PRIMARY KEY \(namespace=\? AND key>\?\)/);
      assert.doesNotMatch(list, /TEMP B-TREE/, 'no sort: the key order is the table order');
      const purge = plan(sql.RECORD_PURGE_EXPIRED, { now: 0, limit: 10 });
      assert.match(purge, /records_expiry/);
      assert.match(purge, /SEARCH records USING PRIMARY KEY \(namespace=\? AND key=\?\)/, 'each row deleted by its key');
    } finally {
      raw.close();
    }
  });

  test('a closed backend refuses record calls with a coded error', async () => {
    const backend = await SqliteBackend.open({ path: freshPath() });
    await backend.close();
    const unavailable = (error: unknown) => (error as { code?: string }).code === ErrorCodes.backendUnavailable;
    await assert.rejects(backend.putRecord({ namespace: 'n', key: 'k', value: 1 }), unavailable);
    await assert.rejects(backend.getRecord({ namespace: 'n', key: 'k' }), unavailable);
    await assert.rejects(backend.listRecords({ namespace: 'n' }), unavailable);
    await assert.rejects(backend.deleteRecord({ namespace: 'n', key: 'k' }), unavailable);
    await assert.rejects(backend.purgeExpiredRecords(), unavailable);
  });
});
