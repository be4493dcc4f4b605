import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Measurement } from '../lib/runner.js';
import { EMBED_BATCH, embedHandler, LIMITS, openProviderPool, Sluice, startMockProvider } from '../lib/sluice-modules.js';
import { chunks } from '../lib/target.js';

export interface EmbedBatchingOptions {
  n: number;
  /** Fixed latency of every provider call, ms: what batching saves. */
  latencyMs: number;
  concurrency: number;
  /** Requests the provider serves at once (a local model server's parallelism, e.g. Ollama's 4). */
  providerConcurrency: number;
}

/**
 * `embed` jobs through a real worker on SQLite against the bundled mock provider with a fixed
 * per-call latency: batched (EMBED_BATCH, one embeddings request for many jobs) or unbatched
 * (a window of one). Throughput from first claim to last completion, and provider requests per job.
 */
export async function embedBatching(batched: boolean, options: EmbedBatchingOptions): Promise<Measurement[]> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-embed-'));
  const mock = await startMockProvider({ latencyMs: options.latencyMs });
  const sluice = await Sluice.connect(`sqlite:${join(dir, 'embed.db')}`);
  try {
    const opened = openProviderPool(
      JSON.stringify([{ name: 'mock', baseUrl: mock.url, models: ['mock-embed'], maxConcurrency: options.providerConcurrency }]),
    );
    if (!opened) throw new Error('mock provider pool did not open');
    const batch = batched ? EMBED_BATCH : { maxSize: 1, maxWaitMs: 0 };
    const specs = Array.from({ length: options.n }, (_, i) => ({
      type: 'embed',
      input: { texts: [`text number ${i}`], model: 'mock-embed' },
    }));
    // The full run's 1,280 jobs are more than one bulk call takes (LIMITS.bulkMax).
    for (const part of chunks(specs, LIMITS.bulkMax)) await sluice.enqueueMany(part);
    const worker = sluice.worker({ concurrency: options.concurrency, handlers: { embed: embedHandler(opened.pool, batch) } });
    let done = 0;
    const finished = new Promise<void>((resolve, reject) => {
      worker.on('job:succeeded', () => {
        if (++done === options.n) resolve();
      });
      worker.on('job:failed', ({ error }) => reject(new Error(`embed job failed: ${error.message}`)));
    });
    const started = performance.now();
    await worker.start();
    await finished;
    const seconds = (performance.now() - started) / 1000;
    await worker.stop();
    const label = `mock ${options.latencyMs} ms/call, ${options.providerConcurrency} at once`;
    return [
      { metric: `embed throughput (${label})`, unit: 'jobs/s', better: 'higher', value: options.n / seconds },
      {
        metric: `provider requests per job (${label})`,
        unit: 'requests',
        better: 'lower',
        value: mock.stats.embeddings / options.n,
      },
    ];
  } finally {
    await sluice.close();
    await mock.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
