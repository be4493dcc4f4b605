import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { ErrorCodes } from '../../src/core/errors.js';
import { errorOf, jobOf, startApp, submit } from './app-fixture.js';

/**
 * A full SQLite store, made full by SQLite itself: `PRAGMA max_page_count` caps the database at
 * its current size, and a write that needs one more page fails with SQLITE_FULL, as on a full
 * disk. The limit belongs to a connection, so it is set on the backend's own.
 */
function backendConnection(backend: unknown): Database.Database {
  const db = (backend as { db?: unknown }).db;
  assert.ok(db instanceof Database, 'the SQLite backend keeps its connection in `db`');
  return db;
}

/** An input that needs pages of its own (overflow pages): a free slot in a page never holds it. */
const BIG = 'x'.repeat(16 * 1024);

test('a full SQLite store answers 503 SLUICE_BACKEND_UNAVAILABLE, loses nothing acknowledged, and takes jobs again once there is room', async () => {
  const fixture = await startApp();
  try {
    const { app } = fixture;
    const db = backendConnection(fixture.sluice.backend);
    const before = await submit(app, { type: 'echo', input: 'before' }, { 'idempotency-key': 'before' });
    assert.equal(before.statusCode, 202);

    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true })}`);
    // Free pages left inside the file may take a few jobs still: each one answered 202 is stored.
    const acknowledged = [jobOf(before).id];
    let refused: Awaited<ReturnType<typeof submit>> | undefined;
    for (let i = 0; i < 50 && refused === undefined; i++) {
      const response = await submit(app, { type: 'echo', input: BIG }, { 'idempotency-key': `full-${i}` });
      if (response.statusCode === 202) acknowledged.push(jobOf(response).id);
      else refused = response;
    }
    assert.ok(refused, 'the capped database refused a write');
    assert.equal(refused.statusCode, 503, refused.body);
    assert.equal(errorOf(refused).code, ErrorCodes.backendUnavailable);
    const refusedKey = `full-${acknowledged.length - 1}`;
    // Reads still work while the store is full; every acknowledged job is there.
    for (const id of acknowledged) {
      assert.equal((await app.inject({ method: 'GET', url: `/v1/jobs/${id}` })).statusCode, 200, id);
    }

    db.pragma('max_page_count = 1073741823');
    // The refused key stored nothing: submitted again it makes a new job.
    const retried = await submit(app, { type: 'echo', input: BIG }, { 'idempotency-key': refusedKey });
    assert.equal(retried.statusCode, 202, retried.body);
    assert.ok(!acknowledged.includes(jobOf(retried).id));
    const after = await submit(app, { type: 'echo', input: 'after' });
    assert.equal(after.statusCode, 202, after.body);
    const listed = await app.inject({ method: 'GET', url: '/v1/jobs?limit=100' });
    assert.equal((listed.json() as { jobs: unknown[] }).jobs.length, acknowledged.length + 2);
  } finally {
    await fixture.close();
  }
});
