import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { chatHandler } from '../../../src/handlers/chat.js';
import { PROVIDER_HANDLER_TYPES, providerHandlers } from '../../../src/handlers/provider-handlers.js';
import { hashVector } from '../../../src/providers/mock-server.js';
import { Sluice } from '../../../src/sluice.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { collect, type Harness, makeHarness } from '../worker/harness.js';
import { type PoolFixture, poolFixture } from './pool-fixture.js';

describe('chat and embed through a Worker (MemoryBackend) and mock providers', () => {
  let h: Harness;
  let f: PoolFixture;
  beforeEach(async () => {
    h = makeHarness();
    f = await poolFixture([{ name: 'a' }, { name: 'b' }]);
  });
  afterEach(async () => {
    await h.cleanup();
    await f.close();
  });

  test('exports the handler types', () => {
    assert.deepEqual([...PROVIDER_HANDLER_TYPES], ['chat', 'embed']);
    assert.deepEqual(Object.keys(providerHandlers(f.pool)).sort(), ['chat', 'embed']);
  });

  test('a chat job fails over from a 500 within one attempt and records the provider', async () => {
    f.mocks.a?.failNext('error');
    const [job] = await h.enqueue({
      type: 'chat',
      input: { model: 'm', messages: [{ role: 'user', content: 'What is Sluice?' }] },
    });
    const worker = h.worker({ handlers: providerHandlers(f.pool) });
    const done = worker.once('job:succeeded');
    await worker.start();
    await done;
    const stored = await h.job(job?.id ?? '');
    assert.equal(stored.status, 'succeeded');
    assert.equal(stored.attempts, 1);
    const output = stored.output as { text: string; provider: string; usage: { inputTokens: number; outputTokens: number } };
    assert.equal(output.text, 'What is Sluice?');
    assert.equal(output.provider, 'b');
    assert.equal(output.usage.outputTokens, 4);
  });

  test('a chat job with bad input fails permanently, naming the field', async () => {
    const [job] = await h.enqueue({ type: 'chat', input: { model: 'm', messages: [{ role: 'wizard', content: 'x' }] } });
    const worker = h.worker({ handlers: { chat: chatHandler(f.pool) } });
    const failed = worker.once('job:failed');
    await worker.start();
    await failed;
    const stored = await h.job(job?.id ?? '');
    assert.equal(stored.error?.code, 'SLUICE_PERMANENT');
    assert.match(stored.error?.message ?? '', /input\.messages\.0\.role/);
  });

  test('every provider rate limited: the job is retried after the retry-after', async () => {
    f.mocks.a?.failNext('rate-limit');
    f.mocks.b?.failNext('rate-limit');
    const [job] = await h.enqueue({ type: 'chat', input: { model: 'm', messages: [{ role: 'user', content: 'x' }] } });
    const worker = h.worker({ handlers: providerHandlers(f.pool) });
    const retry = worker.once('job:retry');
    await worker.start();
    const event = await retry;
    assert.equal(event.job.id, job?.id);
    assert.equal(event.error.code, 'SLUICE_RATE_LIMITED');
    assert.equal(event.delayMs, 1000);
  });

  test('embed jobs claimed together go out as one embeddings request; a bad job fails alone', async () => {
    const jobs = await h.enqueue(
      { type: 'embed', input: { model: 'e', texts: ['alpha', 'beta'] } },
      { type: 'embed', input: { model: 'e', texts: [] } },
      { type: 'embed', input: { model: 'e', texts: ['gamma'] } },
      { type: 'embed', input: { model: 'e', texts: ['delta'] } },
    );
    const worker = h.worker({ concurrency: 8, handlers: providerHandlers(f.pool) });
    const succeeded = collect(worker, 'job:succeeded', 3);
    const failed = worker.once('job:failed');
    await worker.start();
    await Promise.all([succeeded, failed]);
    const stored = await Promise.all(jobs.map((job) => h.job(job.id)));
    assert.deepEqual(
      stored.map((job) => job.status),
      ['succeeded', 'failed', 'succeeded', 'succeeded'],
    );
    assert.match(stored[1]?.error?.message ?? '', /input\.texts/);
    const first = stored[0]?.output as { vectors: number[][]; provider: string; usage: { inputTokens: number } };
    assert.equal(first.vectors.length, 2);
    assert.deepEqual(first.vectors[1], hashVector('beta', 16));
    assert.equal(first.provider, 'a');
    assert.equal(first.usage.inputTokens, 3); // 'alpha' 2 + 'beta' 1, its share of the request's usage
    const requests = (f.mocks.a?.stats.embeddings ?? 0) + (f.mocks.b?.stats.embeddings ?? 0);
    assert.ok(requests < 3, `3 jobs in ${requests} embeddings requests`);
    assert.equal((f.mocks.a?.stats.embeddedInputs ?? 0) + (f.mocks.b?.stats.embeddedInputs ?? 0), 4);
  });
});

describe('chat and embed through a Worker on SQLite', () => {
  test('jobs end succeeded with output, usage and provider', async () => {
    const temp = makeTempDir();
    const f = await poolFixture([{ name: 'local', config: { pricing: { inputPerMTok: 0.5, outputPerMTok: 1.5 } } }]);
    const sluice = await Sluice.connect(`sqlite:${join(temp.dir, 'test.db')}`);
    try {
      const worker = sluice.worker({ handlers: providerHandlers(f.pool), concurrency: 4, pollIntervalMs: 20 });
      await worker.start();
      const chat = await sluice.enqueue({
        type: 'chat',
        input: { model: 'm', messages: [{ role: 'user', content: 'hi' }], maxTokens: 5 },
      });
      const embed = await sluice.enqueue({ type: 'embed', input: { model: 'e', texts: ['one'] } });
      const chatDone = await sluice.waitFor(chat.id, { timeoutMs: 20_000 });
      const embedDone = await sluice.waitFor(embed.id, { timeoutMs: 20_000 });
      assert.equal(chatDone.status, 'succeeded');
      assert.deepEqual((chatDone.output as { text: string }).text, 'hi');
      assert.equal((chatDone.output as { provider: string }).provider, 'local');
      assert.ok(((chatDone.output as { costUsd: number }).costUsd ?? 0) > 0);
      assert.equal(embedDone.status, 'succeeded');
      assert.deepEqual((embedDone.output as { vectors: number[][] }).vectors, [hashVector('one', 16)]);
      await worker.stop();
    } finally {
      await sluice.close();
      await f.close();
      temp.cleanup();
    }
  });
});
