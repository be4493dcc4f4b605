import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpJson } from '../lib/http-json.js';
import type { Measurement } from '../lib/runner.js';
import { startServe } from '../lib/serve-process.js';
import { startMockProvider } from '../lib/sluice-modules.js';
import { readSse } from '../lib/sse-reader.js';

export interface ChatStreamOptions {
  /** Tokens of the answer (the mock streams about four characters per token). */
  tokens: number;
  /** The mock provider's pause before each token, ms (its token rate). */
  tokenDelayMs: number;
}

interface EventJson {
  type: string;
  data?: { chunks?: unknown[] };
}

/** A prompt the mock echoes as exactly `tokens` tokens of four characters. */
function promptOf(tokens: number): string {
  return Array.from({ length: tokens }, (_, i) => (i % 1000).toString().padStart(3, '0')).join(' ');
}

/**
 * Issue 18, a streamed chat answer: `sluice serve` as `npm start` runs it (SQLite, embedded worker,
 * the bundled mock provider configured through SLUICE_PROVIDERS) gets one `chat` job with
 * `"stream": true`; a client follows its SSE stream (`GET /v1/jobs/{id}/events`) to the end. Counts
 * the `job.output.delta` events and the socket reads that carried them, and the deltas in the job's
 * stored history (one per `appendOutput`, i.e. per store write of output); checks that the deltas
 * hold the whole answer, in order.
 */
export async function chatStream(options: ChatStreamOptions): Promise<Measurement[]> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-chat-'));
  const mock = await startMockProvider({ streamDelayMs: options.tokenDelayMs });
  try {
    const server = await startServe(
      {
        SLUICE_BACKEND: `sqlite:${join(dir, 'chat.db')}`,
        SLUICE_PROVIDERS: JSON.stringify([{ name: 'mock', baseUrl: mock.url, models: ['mock-chat'] }]),
      },
      join(dir, 'serve.log'),
    );
    try {
      const prompt = promptOf(options.tokens);
      const job = await httpJson<{ id: string }>(undefined, 'POST', `${server.url}/v1/jobs`, {
        type: 'chat',
        input: { model: 'mock-chat', messages: [{ role: 'user', content: prompt }], stream: true },
      });
      let deltaEvents = 0;
      const deltaReads = new Set<number>();
      const chunks: unknown[] = [];
      let last: string | undefined;
      const stream = readSse(`${server.url}/v1/jobs/${job.id}/events`, (message, _at, read) => {
        last = message.event;
        if (message.event !== 'job.output.delta') return;
        deltaEvents += 1;
        deltaReads.add(read);
        chunks.push(...((JSON.parse(message.data) as EventJson).data?.chunks ?? []));
      });
      // The job's stream ends after its terminal event.
      await stream.ended;
      if (last !== 'job.succeeded') throw new Error(`chat job ${job.id} ended with ${last}`);
      if (chunks.join('') !== prompt)
        throw new Error(`the deltas do not hold the answer: ${chunks.length} chunks, ${chunks.join('').length} characters`);
      const history = await httpJson<{ events: EventJson[] }>(
        undefined,
        'GET',
        `${server.url}/v1/jobs/${job.id}/events?limit=1000`,
      );
      const storedDeltas = history.events.filter((e) => e.type === 'job.output.delta').length;
      const label = `${options.tokens} tokens`;
      return [
        { metric: `job.output.delta events over SSE (${label})`, unit: 'events', better: 'lower', value: deltaEvents },
        { metric: `socket reads carrying deltas (${label})`, unit: 'reads', better: 'lower', value: deltaReads.size },
        { metric: `output store writes (${label})`, unit: 'writes', better: 'lower', value: storedDeltas },
        { metric: 'tokens per delta event', unit: 'tokens', better: 'higher', value: chunks.length / deltaEvents },
      ];
    } finally {
      await server.stop();
    }
  } finally {
    await mock.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
