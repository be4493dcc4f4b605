import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { ErrorCodes } from '../../../src/core/errors.js';
import {
  attemptsLeftSql,
  hasAttemptsLeft,
  isLeaseExpired,
  LEASE_EXPIRED_ERROR,
  LEASE_EXPIRED_ERROR_JSON,
  reclaimOutcome,
} from '../../../src/core/reclaim-policy.js';

describe('reclaim policy', () => {
  const cases = [
    { attempts: 1, maxAttempts: 1, outcome: 'failed' },
    { attempts: 1, maxAttempts: 3, outcome: 'queued' },
    { attempts: 2, maxAttempts: 3, outcome: 'queued' },
    { attempts: 3, maxAttempts: 3, outcome: 'failed' },
    // More attempts than allowed is never stored, but must not read as one left.
    { attempts: 4, maxAttempts: 3, outcome: 'failed' },
  ] as const;

  test('the expired attempt counts: attempts left wait again, the last one fails the job', () => {
    for (const c of cases) assert.equal(reclaimOutcome(c), c.outcome, JSON.stringify(c));
  });

  test('the SQL condition decides as hasAttemptsLeft does', () => {
    const db = new Database(':memory:');
    try {
      const sql = `SELECT (${attemptsLeftSql({ attempts: '@attempts', maxAttempts: '@maxAttempts' })}) AS lefts`;
      for (const c of cases) {
        const row = db.prepare<[{ attempts: number; maxAttempts: number }], { lefts: number }>(sql).get(c);
        assert.equal(row?.lefts === 1, hasAttemptsLeft(c), JSON.stringify(c));
      }
    } finally {
      db.close();
    }
  });

  test('a lease is expired from its expiry time on', () => {
    assert.equal(isLeaseExpired({ expiresAt: 1000 }, 999), false);
    assert.equal(isLeaseExpired({ expiresAt: 1000 }, 1000), true);
    assert.equal(isLeaseExpired({ expiresAt: 1000 }, 1001), true);
  });

  test('the lease-expired error is coded, and its stored form is its JSON', () => {
    assert.equal(LEASE_EXPIRED_ERROR.code, ErrorCodes.leaseExpired);
    assert.deepEqual(JSON.parse(LEASE_EXPIRED_ERROR_JSON), LEASE_EXPIRED_ERROR);
    assert.ok(Object.isFrozen(LEASE_EXPIRED_ERROR), 'shared: nobody may change it');
  });
});
