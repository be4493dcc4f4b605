import type { BackendName } from './backends.js';
import type { Fault } from './fault.js';
import { apiKillDuringSubmit } from './faults/api-kill-during-submit.js';
import { clockSkew } from './faults/clock-skew.js';
import { delaysAcrossRestarts } from './faults/delays-across-restarts.js';
import { fullStore } from './faults/full-store.js';
import { connectionResets, partition, silentDrop } from './faults/network.js';
import { poisonJobs } from './faults/poison-jobs.js';
import { rollingRestart } from './faults/rolling-restart.js';
import { workerKillStorm } from './faults/worker-kill-storm.js';
import { zombieWorker } from './faults/zombie-worker.js';

export const BACKENDS: BackendName[] = ['sqlite', 'postgres', 'redis', 'redis-cluster', 'rabbitmq'];

/** Every fault; each backend runs those that apply to it (network faults need a proxy). */
export const FAULTS: Fault[] = [
  workerKillStorm,
  apiKillDuringSubmit,
  zombieWorker,
  clockSkew,
  poisonJobs,
  rollingRestart,
  delaysAcrossRestarts,
  fullStore,
  connectionResets('store'),
  partition('store'),
  silentDrop('store'),
  connectionResets('broker'),
  partition('broker'),
  silentDrop('broker'),
];

/**
 * The short form (`--short`, run inside `npm test` by chaos-short.test.ts): few jobs, a subset of
 * faults, one network fault per store and broker. The other faults pass but take too long for CI;
 * they run in `npm run chaos` (docs/chaos.md).
 */
export const SHORT: Array<{ backend: BackendName; faults: string[] }> = [
  { backend: 'sqlite', faults: ['worker kill storm', 'zombie worker'] },
  { backend: 'postgres', faults: ['store connection resets', 'store silent drop'] },
  { backend: 'redis', faults: ['worker kill storm', 'store connection resets', 'store silent drop'] },
  { backend: 'redis-cluster', faults: ['store connection resets'] },
  { backend: 'rabbitmq', faults: ['broker silent drop'] },
];
export const SHORT_OPTIONS = { jobs: 20, workers: 2, boundMs: 20_000 };
