// The Sluice server of the push workload: the HTTP API with its event hub (SSE, feed), an embedded
// worker and the webhook delivery beside it, in one process, as `sluice serve` composes them. Its
// worker runs `stamp` jobs, whose output carries the time the handler finished (bench/lib/time.ts
// epochNow), so that a receiver in another process can tell how long the notification took.
// Messages: `ready` {url}; on `memory`, `memory` {rss, heapUsed} after a GC; stops on `stop`.
import { childArgs, runChild, send } from '../lib/child-side.js';
import { type PushServerArgs, STAMP_TYPE, type StampOutput } from '../lib/push-server.js';
import { AddressPolicy, buildApp, Sluice } from '../lib/sluice-modules.js';
import { epochNow } from '../lib/time.js';

runChild(async () => {
  const args = childArgs<PushServerArgs>();
  // SLUICE_WEBHOOK_ALLOW=127.0.0.1: the receiver is on this machine, which the SSRF guard refuses.
  const sluice = await Sluice.connect(args.backend, { webhooks: { policy: AddressPolicy.fromAllowList('127.0.0.1') } });
  const app = await buildApp({
    sluice,
    ...(args.maxConnections ? { httpLimits: { maxConnections: args.maxConnections } } : {}),
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const worker = sluice.worker({
    queues: [args.queue],
    concurrency: args.concurrency,
    prefetch: args.prefetch,
    handlers: {
      [STAMP_TYPE]: ({ job }): StampOutput => {
        const warm = (job.input as { warm?: boolean } | null)?.warm === true;
        return warm ? { doneAt: epochNow(), warm } : { doneAt: epochNow() };
      },
    },
  });
  await worker.start();
  process.on('message', (m: { type?: string }) => {
    if (m.type !== 'memory') return;
    (globalThis as { gc?: () => void }).gc?.();
    const { rss, heapUsed } = process.memoryUsage();
    send({ type: 'memory', rss, heapUsed });
  });
  send({ type: 'ready', url });
  await new Promise<void>((resolve) => {
    process.on('message', (m: { type?: string }) => {
      if (m.type === 'stop') resolve();
    });
  });
  await app.close();
  await sluice.close({ graceMs: 2_000 });
});
