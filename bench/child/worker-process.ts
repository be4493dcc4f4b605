// One worker process for the scale-out workload: attaches to the parent's storage, says `ready`,
// starts its no-op worker on `go`, reports its completed count every 50 ms, stops on `stop`.
import { childArgs, runChild, send } from '../lib/child-side.js';
import { lookAhead } from '../lib/target.js';
import type { TargetName } from '../peers/registry.js';
import { makeTarget } from '../peers/registry.js';

interface Args {
  target: TargetName;
  address: string;
  concurrency: number;
}

runChild(async () => {
  const args = childArgs<Args>();
  const target = makeTarget(args.target, args.address);
  await target.setup();
  let done = 0;
  const stopped = new Promise<void>((resolve) => {
    process.on('message', (m: { type?: string }) => {
      if (m.type === 'stop') resolve();
    });
  });
  const go = new Promise<void>((resolve) => {
    process.on('message', (m: { type?: string }) => {
      if (m.type === 'go') resolve();
    });
  });
  send({ type: 'ready' });
  await Promise.race([go, stopped]);
  const worker = await target.startWorker({
    concurrency: args.concurrency,
    prefetch: lookAhead(args.concurrency),
    onDone: () => done++,
  });
  const timer = setInterval(() => send({ type: 'count', done }), 50);
  await stopped;
  clearInterval(timer);
  await worker.stop();
  send({ type: 'count', done });
  await target.teardown();
});
