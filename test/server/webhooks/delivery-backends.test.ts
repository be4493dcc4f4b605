import { pgStoreSkip, redisStoreSkip, storeRig } from '../../helpers/store-rig.js';
import { runDeliveryCases } from './delivery-cases.js';

/**
 * The delivery cases on the real stores: the record store and the event log of SQLite, PostgreSQL
 * and Redis, each case on a file, schema or key prefix of its own. A store that is not reachable
 * is skipped, or fails the run under SLUICE_REQUIRE_SERVICES=1.
 */
const pgSkip = await pgStoreSkip();
const redisSkip = await redisStoreSkip();

runDeliveryCases('on SQLite', () => storeRig('sqlite'));
runDeliveryCases('on PostgreSQL', () => storeRig('postgres'), { skip: pgSkip });
runDeliveryCases('on Redis', () => storeRig('redis'), { skip: redisSkip });
