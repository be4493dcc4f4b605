import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { RedisBackend } from '../../src/backends/redis/redis-backend.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { assertReclaimFollowsPolicy } from '../helpers/reclaim-policy-check.js';
import { dropRedisPrefix } from '../helpers/redis-prefix.js';
import { redisStoreSkip } from '../helpers/store-rig.js';

/*
 * The Redis adapter decides reclaims inside its Lua script (the decision and the lease check must
 * be one atomic step). This file holds that copy of the decision to core's reference: every case of
 * the table, on real Redis, through the backend, compared with reclaimOutcome and
 * LEASE_EXPIRED_ERROR.
 */

const url = process.env.SLUICE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const skip = await redisStoreSkip();

describe('redis reclaim against core policy', { skip }, () => {
  test('the reclaim script decides every case as core reclaim policy does', async () => {
    const prefix = `sluicetest-policy-${randomUUID()}`;
    const clock = new FakeClock();
    const backend = await RedisBackend.open({ url, clock, prefix, warn: () => undefined });
    try {
      await assertReclaimFollowsPolicy(backend, clock);
    } finally {
      await backend.close();
      await dropRedisPrefix(url, prefix);
    }
  });
});
