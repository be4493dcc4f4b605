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

export const BACKENDS: BackendName[] = ['sqlite', 'postgres', 'redis', 'rabbitmq'];

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
