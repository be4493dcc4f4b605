/**
 * A worker process for the chaos suite: the library facade with three handlers the history checker
 * understands. Run as `node --import tsx test/chaos/chaos-worker.ts`; configured by env:
 * SLUICE_BACKEND, SLUICE_STORE, SLUICE_LEASE_MS, SLUICE_POLL_INTERVAL_MS, SLUICE_REAPER_INTERVAL_MS,
 * SLUICE_CONCURRENCY, SLUICE_SHUTDOWN_GRACE_MS and CHAOS_EFFECTS (the effect log file).
 *
 * - `chaos.effect` `{ms}`: waits, appends one line `{jobId, attempt, leaseToken, pid}` to the effect
 *   log (the side effect whose duplicates the checker counts), returns `{attempt, leaseToken}` so
 *   the checker can tell which attempt's write the store kept.
 * - `chaos.crash`: ends its own process (a poison job that crashes the worker).
 * - `chaos.hang`: never settles and ignores its abort signal (a poison job that hangs).
 */
import { appendFileSync } from 'node:fs';
import { loadConfig } from '../../src/config/config.js';
import { sleep } from '../../src/handlers/sleep.js';
import { startLeaseReaper } from '../../src/maintenance/lease-reaper.js';
import { Sluice } from '../../src/sluice.js';
import type { HandlerContext } from '../../src/worker/handler.js';

const effectsFile = process.env.CHAOS_EFFECTS;
if (!effectsFile) throw new Error('CHAOS_EFFECTS must name the effect log file');
const config = loadConfig(process.env);
const log = (msg: string, extra: object = {}) => process.stdout.write(`${JSON.stringify({ msg, pid: process.pid, ...extra })}\n`);

const sluice = await Sluice.connect(config.SLUICE_BACKEND, { store: config.SLUICE_STORE });
const stopReaper = startLeaseReaper(sluice.backend, {
  intervalMs: config.SLUICE_REAPER_INTERVAL_MS,
  onError: (err) => log('reaper pass failed', { error: String(err) }),
});

const worker = sluice.worker({
  concurrency: config.SLUICE_CONCURRENCY,
  leaseMs: config.SLUICE_LEASE_MS,
  pollIntervalMs: config.SLUICE_POLL_INTERVAL_MS,
  shutdownGraceMs: config.SLUICE_SHUTDOWN_GRACE_MS,
  handlers: {
    'chaos.effect': async ({ job, signal }: HandlerContext<{ ms?: number }>) => {
      await sleep(job.input.ms ?? 0, signal);
      const record = { jobId: job.id, attempt: job.attempts, leaseToken: job.leaseToken, pid: process.pid };
      appendFileSync(effectsFile, `${JSON.stringify(record)}\n`);
      return { attempt: job.attempts, leaseToken: job.leaseToken };
    },
    'chaos.crash': () => {
      log('poison job crashes its worker');
      process.exit(70);
    },
    'chaos.hang': () => new Promise<never>(() => {}),
  },
  logger: {
    info: () => {},
    warn: (details, message) => log(message ?? 'warn', details),
    error: (details, message) => log(message ?? 'error', details),
  },
});
worker.on('job:lost', ({ job }) => log('job lease lost', { jobId: job.id, attempt: job.attempts }));
await worker.start();
log('chaos worker running');

process.once('SIGTERM', async () => {
  await worker.stop({ graceMs: config.SLUICE_SHUTDOWN_GRACE_MS });
  stopReaper();
  await sluice.close({ graceMs: 0 });
  log('chaos worker stopped');
  process.exit(0);
});
