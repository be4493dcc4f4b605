import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { Backend, RecordStore } from '../../src/core/backend.js';
import { ErrorCodes } from '../../src/core/errors.js';
import { RECORD_PAGE_LIMIT } from '../../src/core/ports/record-store.js';
import { type BackendFactory, backendTest, enqueueOne, role } from './harness.js';

/** The record store (ports/record-store.ts). Skipped, with the reason, for backends without `capabilities.records`. */
export function recordsSuite(factory: BackendFactory): void {
  describe('records', () => {
    const it = backendTest(factory);
    const store = { requires: 'records' } as const;
    const records = (backend: Backend): RecordStore => role(backend, 'records');

    it(
      'a record reads back as the JSON it was written as; another namespace does not see it',
      async ({ backend }) => {
        const value = {
          url: 'https://example.com/hook',
          events: ['job.succeeded'],
          n: 1.5,
          nested: { ok: true, list: [null, 'ü'] },
        };
        assert.equal(await records(backend).putRecord({ namespace: 'ns.a', key: 'k1', value }), true);
        assert.deepEqual(await records(backend).getRecord({ namespace: 'ns.a', key: 'k1' }), value);
        assert.equal(await records(backend).getRecord({ namespace: 'ns.b', key: 'k1' }), undefined);
        assert.equal(await records(backend).getRecord({ namespace: 'ns.a', key: 'k2' }), undefined);
      },
      store,
    );

    it(
      'a put replaces the value; ifAbsent writes nothing over a live record and says so',
      async ({ backend }) => {
        const r = records(backend);
        await r.putRecord({ namespace: 'n', key: 'k', value: 'first' });
        assert.equal(await r.putRecord({ namespace: 'n', key: 'k', value: 'second' }), true);
        assert.equal(await r.getRecord({ namespace: 'n', key: 'k' }), 'second');
        assert.equal(await r.putRecord({ namespace: 'n', key: 'k', value: 'third', ifAbsent: true }), false);
        assert.equal(await r.getRecord({ namespace: 'n', key: 'k' }), 'second');
        assert.equal(await r.putRecord({ namespace: 'n', key: 'other', value: 0, ifAbsent: true }), true);
        assert.equal(await r.getRecord({ namespace: 'n', key: 'other' }), 0);
      },
      store,
    );

    it(
      'of racing ifAbsent puts on two handles exactly one writes',
      async ({ backend, openAnother }) => {
        const other = records(await openAnother());
        const r = records(backend);
        const wrote = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            (i % 2 === 0 ? r : other).putRecord({ namespace: 'race', key: 'k', value: i, ifAbsent: true }),
          ),
        );
        assert.equal(wrote.filter(Boolean).length, 1);
        const winner = wrote.indexOf(true);
        assert.equal(await r.getRecord({ namespace: 'race', key: 'k' }), winner);
      },
      store,
    );

    it(
      'a record with a TTL is gone once its time passes on the backend clock, and may be written again',
      async ({ backend, clock }) => {
        const r = records(backend);
        await r.putRecord({ namespace: 'ttl', key: 'short', value: 1, ttlMs: 1_000 });
        await r.putRecord({ namespace: 'ttl', key: 'long', value: 2, ttlMs: 60_000 });
        await r.putRecord({ namespace: 'ttl', key: 'kept', value: 3 });
        clock.advance(999);
        assert.equal(await r.getRecord({ namespace: 'ttl', key: 'short' }), 1);
        clock.advance(1);
        assert.equal(await r.getRecord({ namespace: 'ttl', key: 'short' }), undefined);
        assert.deepEqual(
          (await r.listRecords({ namespace: 'ttl' })).map((record) => record.key),
          ['kept', 'long'],
        );
        assert.equal(await r.deleteRecord({ namespace: 'ttl', key: 'short' }), false);
        assert.equal(await r.putRecord({ namespace: 'ttl', key: 'short', value: 4, ifAbsent: true }), true);
        assert.equal(await r.getRecord({ namespace: 'ttl', key: 'short' }), 4);
      },
      store,
    );

    it(
      'ifAbsent over an expired record writes the new TTL with it',
      async ({ backend, clock }) => {
        const r = records(backend);
        await r.putRecord({ namespace: 'n', key: 'k', value: 'old', ttlMs: 10 });
        clock.advance(10);
        assert.equal(await r.putRecord({ namespace: 'n', key: 'k', value: 'new', ifAbsent: true, ttlMs: 1_000 }), true);
        clock.advance(999);
        assert.equal(await r.getRecord({ namespace: 'n', key: 'k' }), 'new');
        clock.advance(1);
        assert.equal(await r.getRecord({ namespace: 'n', key: 'k' }), undefined);
      },
      store,
    );

    it(
      'a put without a TTL over a record with one keeps it for good',
      async ({ backend, clock }) => {
        const r = records(backend);
        await r.putRecord({ namespace: 'ttl', key: 'k', value: 'expiring', ttlMs: 1_000 });
        await r.putRecord({ namespace: 'ttl', key: 'k', value: 'kept' });
        clock.advance(10_000);
        assert.equal(await r.getRecord({ namespace: 'ttl', key: 'k' }), 'kept');
      },
      store,
    );

    it(
      'purgeExpiredRecords frees expired records only; live ones read as before',
      async ({ backend, clock }) => {
        const r = records(backend);
        for (let i = 0; i < 5; i++) await r.putRecord({ namespace: 'p', key: `old${i}`, value: i, ttlMs: 100 });
        await r.putRecord({ namespace: 'p', key: 'live', value: 'x', ttlMs: 60_000 });
        await r.putRecord({ namespace: 'q', key: 'forever', value: 'y' });
        clock.advance(200);
        const purged = await r.purgeExpiredRecords({ limit: 1_000 });
        assert.ok(
          purged === 0 || purged === 5,
          `purged ${purged}: all five expired records, or 0 where the store expires by itself`,
        );
        assert.equal(await r.purgeExpiredRecords(), 0);
        assert.deepEqual(await r.listRecords({ namespace: 'p' }), [{ key: 'live', value: 'x' }]);
        assert.equal(await r.getRecord({ namespace: 'q', key: 'forever' }), 'y');
      },
      store,
    );

    it(
      'listRecords pages in key byte order, after a key, within the limit',
      async ({ backend }) => {
        const r = records(backend);
        const keys = ['b', 'a', 'a/2', 'a/10', 'Z', 'é', 'c'];
        for (const key of keys) await r.putRecord({ namespace: 'list', key, value: { key } });
        await r.putRecord({ namespace: 'list2', key: 'a0', value: 'elsewhere' });
        const all = await r.listRecords({ namespace: 'list' });
        const expected = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
        assert.deepEqual(
          all.map((record) => record.key),
          expected,
        );
        assert.deepEqual(all[0], { key: 'Z', value: { key: 'Z' } });
        const page = await r.listRecords({ namespace: 'list', after: 'a/10', limit: 2 });
        assert.deepEqual(
          page.map((record) => record.key),
          ['a/2', 'b'],
        );
        assert.deepEqual(await r.listRecords({ namespace: 'list', limit: 0 }), []);
        assert.deepEqual(await r.listRecords({ namespace: 'empty' }), []);
      },
      store,
    );

    it(
      'keys sort as UTF-8 bytes, where UTF-16 code units would put an emoji first',
      async ({ backend }) => {
        const r = records(backend);
        // U+FF5E is EF BD 9E in UTF-8 and 0xFF5E in UTF-16; U+1F600 is F0 9F 98 80 and 0xD83D 0xDE00.
        for (const key of ['\u{1F600}', '\uFF5E', 'a']) await r.putRecord({ namespace: 'u', key, value: null });
        assert.deepEqual(
          (await r.listRecords({ namespace: 'u' })).map((record) => record.key),
          ['a', '\uFF5E', '\u{1F600}'],
        );
        assert.deepEqual(
          (await r.listRecords({ namespace: 'u', after: '\uFF5E' })).map((record) => record.key),
          ['\u{1F600}'],
        );
      },
      store,
    );

    it(
      'listRecords returns at most RECORD_PAGE_LIMIT records',
      async ({ backend }) => {
        const r = records(backend);
        await Promise.all(
          Array.from({ length: RECORD_PAGE_LIMIT + 5 }, (_, i) =>
            r.putRecord({ namespace: 'big', key: String(i).padStart(5, '0'), value: i }),
          ),
        );
        const page = await r.listRecords({ namespace: 'big', limit: RECORD_PAGE_LIMIT + 5 });
        assert.equal(page.length, RECORD_PAGE_LIMIT);
        const rest = await r.listRecords({ namespace: 'big', after: page.at(-1)!.key });
        assert.deepEqual(
          rest.map((record) => record.value),
          [1000, 1001, 1002, 1003, 1004],
        );
      },
      store,
    );

    it(
      'deleteRecord removes one record and says whether it was there',
      async ({ backend }) => {
        const r = records(backend);
        await r.putRecord({ namespace: 'd', key: 'k1', value: 1 });
        await r.putRecord({ namespace: 'd', key: 'k2', value: 2 });
        assert.equal(await r.deleteRecord({ namespace: 'd', key: 'k1' }), true);
        assert.equal(await r.deleteRecord({ namespace: 'd', key: 'k1' }), false);
        assert.equal(await r.getRecord({ namespace: 'd', key: 'k1' }), undefined);
        assert.deepEqual(await r.listRecords({ namespace: 'd' }), [{ key: 'k2', value: 2 }]);
      },
      store,
    );

    it(
      'records are not jobs: retention and job reads leave them alone',
      async ({ backend, clock }) => {
        const r = records(backend);
        await r.putRecord({ namespace: 'keep', key: 'k', value: 'v' });
        const job = await enqueueOne(backend);
        clock.advance(400 * 24 * 3600_000);
        await backend.purgeFinished({ finishedOlderThanMs: 1, failedOlderThanMs: 1 });
        assert.equal(await r.getRecord({ namespace: 'keep', key: 'k' }), 'v');
        assert.equal((await backend.get({ id: job.id }))?.status, 'queued');
      },
      store,
    );

    it(
      'a bad namespace, key or TTL is a validation error naming it, and stores nothing',
      async ({ backend }) => {
        const r = records(backend);
        const rejects = async (call: () => Promise<unknown>, field: string) => {
          await assert.rejects(call, (error: { code?: string; field?: string }) => {
            assert.equal(error.code, ErrorCodes.validation);
            assert.equal(error.field, field);
            return true;
          });
        };
        await rejects(() => r.putRecord({ namespace: '', key: 'k', value: 1 }), 'namespace');
        await rejects(() => r.putRecord({ namespace: 'n', key: 'x'.repeat(513), value: 1 }), 'key');
        await rejects(() => r.putRecord({ namespace: 'n', key: 'a\u0000b', value: 1 }), 'key');
        await rejects(() => r.putRecord({ namespace: 'n', key: 'k', value: 1, ttlMs: 0 }), 'ttlMs');
        await rejects(() => r.putRecord({ namespace: 'n', key: 'k', value: 1, ttlMs: 1.5 }), 'ttlMs');
        await rejects(() => r.getRecord({ namespace: 'n', key: '' }), 'key');
        await rejects(() => r.listRecords({ namespace: 'n', limit: -1 }), 'limit');
        assert.deepEqual(await r.listRecords({ namespace: 'n' }), []);
      },
      store,
    );
  });
}
