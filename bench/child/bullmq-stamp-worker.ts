// The BullMQ worker of the push workload's peer side, in a process of its own as Sluice's worker
// is: attaches to the parent's key prefix, runs jobs whose result is the time the handler finished
// (epochNow, like Sluice's `stamp` jobs), says `ready`, stops on `stop`.
import { Worker } from 'bullmq';
import { childArgs, runChild, send } from '../lib/child-side.js';
import type { StampOutput } from '../lib/push-server.js';
import { epochNow } from '../lib/time.js';
import { bullmqConnection, QUEUE } from '../peers/bullmq.js';

interface Args {
  prefix: string;
  concurrency: number;
}

runChild(async () => {
  const args = childArgs<Args>();
  const worker = new Worker(
    QUEUE,
    async (job): Promise<StampOutput> => {
      const warm = (job.data as { warm?: boolean }).warm === true;
      return warm ? { doneAt: epochNow(), warm } : { doneAt: epochNow() };
    },
    { connection: bullmqConnection(), prefix: args.prefix, concurrency: args.concurrency },
  );
  worker.on('error', () => {});
  await worker.waitUntilReady();
  send({ type: 'ready' });
  await new Promise<void>((resolve) => {
    process.on('message', (m: { type?: string }) => {
      if (m.type === 'stop') resolve();
    });
  });
  await worker.close();
});
