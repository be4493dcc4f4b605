import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { JobEvent } from '../../../src/core/backend.js';
import { ErrorCodes, ValidationError } from '../../../src/core/errors.js';
import type { UsageEntry } from '../../../src/core/usage.js';
import { type ChatOutput, chatHandler } from '../../../src/handlers/chat.js';
import { PROVIDER_STREAM_INTERRUPTED } from '../../../src/providers/provider-errors.js';
import { handlerContext } from '../handlers/handler-context.js';
import { type Harness, makeHarness } from '../worker/harness.js';
import { type PoolFixture, poolFixture } from './pool-fixture.js';

/** The text of a job's `job.output.delta` events, in order, and how many there are. */
async function deltas(h: Harness, id: string): Promise<{ text: string; events: JobEvent[] }> {
  const all = (await h.backend.jobEvents({ id })) ?? [];
  const events = all.filter((event) => event.type === 'job.output.delta');
  const text = events.flatMap((event) => (event.data as { chunks: string[] }).chunks).join('');
  return { text, events };
}

/** A user message the mock echoes back as `tokens` tokens of four characters. */
function promptOf(tokens: number): string {
  return Array.from({ length: tokens }, (_, i) => String(i % 1000).padStart(3, '0')).join(' ');
}

describe('chat with stream: true (worker on the MemoryBackend, mock providers)', () => {
  let h: Harness;
  let f: PoolFixture;
  beforeEach(async () => {
    h = makeHarness();
    // One token a millisecond: a 500-token answer streams for half a second or more.
    f = await poolFixture([
      { name: 'a', mock: { streamDelayMs: 1 } },
      { name: 'b', mock: { streamDelayMs: 1 } },
    ]);
  });
  afterEach(async () => {
    await h.cleanup();
    await f.close();
  });

  test('a 500-token stream reaches the event log in far fewer appendOutput calls; the deltas are the output', async (t) => {
    const append = t.mock.method(h.backend, 'appendOutput');
    const usage: UsageEntry[] = [];
    const content = promptOf(500);
    assert.equal(content.length, 2000 - 1);
    const [job] = await h.enqueue({
      type: 'chat',
      input: { model: 'm', messages: [{ role: 'user', content }], stream: true },
    });
    const worker = h.worker({ handlers: { chat: chatHandler(f.pool, { usage: { record: (entry) => usage.push(entry) } }) } });
    const started = worker.once('job:started').then(() => performance.now());
    const done = worker.once('job:succeeded');
    await worker.start();
    await done;
    const elapsedMs = performance.now() - (await started);
    const stored = await h.job(job!.id);
    const output = stored.output as ChatOutput;
    assert.equal(output.text, content);
    assert.equal(output.finishReason, 'stop');
    const { text, events } = await deltas(h, job!.id);
    assert.equal(text, output.text);
    const writes = append.mock.callCount();
    t.diagnostic(`500-token stream: ${writes} appendOutput calls in ${Math.round(elapsedMs)} ms`);
    assert.equal(writes, events.length);
    assert.ok(writes > 1, 'the stream was written in one piece: nothing was streamed');
    // At most the first write, one per emitFlushMs (50) of the stream, and the last one.
    assert.ok(writes <= 2 + Math.ceil(elapsedMs / 50), `${writes} appendOutput calls in ${elapsedMs} ms`);
    assert.ok(writes < 500 / 5, `${writes} appendOutput calls for 500 tokens`);
    // Every delta precedes the end; usage comes from the stream's last chunk (include_usage).
    const all = (await h.backend.jobEvents({ id: job!.id })) ?? [];
    assert.equal(all.at(-1)?.type, 'job.succeeded');
    assert.equal(output.usage.outputTokens, 500);
    assert.equal(output.usage.outputTokens, f.mocks.a!.stats.completionTokens + f.mocks.b!.stats.completionTokens);
    assert.deepEqual(
      usage.map((entry) => entry.outputTokens),
      [500],
    );
  });

  test('a 500-token stream sent at once costs a handful of appendOutput calls', async (t) => {
    for (const mock of Object.values(f.mocks)) mock.configure({ streamDelayMs: 0 });
    const append = t.mock.method(h.backend, 'appendOutput');
    const content = promptOf(500);
    const [job] = await h.enqueue({ type: 'chat', input: { model: 'm', messages: [{ role: 'user', content }], stream: true } });
    const worker = h.worker({ handlers: { chat: chatHandler(f.pool) } });
    const done = worker.once('job:succeeded');
    await worker.start();
    await done;
    assert.equal((await deltas(h, job!.id)).text, content);
    t.diagnostic(`500 tokens sent at once: ${append.mock.callCount()} appendOutput calls`);
    assert.ok(append.mock.callCount() <= 10, `${append.mock.callCount()} appendOutput calls`);
  });

  test('without stream the same job writes no delta and the same output', async () => {
    const content = promptOf(20);
    const [job] = await h.enqueue({ type: 'chat', input: { model: 'm', messages: [{ role: 'user', content }] } });
    const worker = h.worker({ handlers: { chat: chatHandler(f.pool) } });
    const done = worker.once('job:succeeded');
    await worker.start();
    await done;
    assert.equal(((await h.job(job!.id)).output as ChatOutput).text, content);
    assert.deepEqual((await deltas(h, job!.id)).events, []);
  });

  test('a stream that fails before its first token fails over within the attempt', async () => {
    f.mocks.a!.failNext('error');
    const content = promptOf(30);
    const [job] = await h.enqueue({ type: 'chat', input: { model: 'm', messages: [{ role: 'user', content }], stream: true } });
    const worker = h.worker({ handlers: { chat: chatHandler(f.pool) } });
    const done = worker.once('job:succeeded');
    await worker.start();
    await done;
    const stored = await h.job(job!.id);
    assert.equal(stored.attempts, 1);
    assert.equal((stored.output as ChatOutput).provider, 'b');
    assert.equal((await deltas(h, job!.id)).text, content);
  });

  test('a stream that breaks after its first token fails the attempt, with no failover', async () => {
    f.mocks.a!.failNext('cut');
    const content = promptOf(40);
    const [job] = await h.enqueue({
      type: 'chat',
      maxAttempts: 1,
      input: { model: 'm', messages: [{ role: 'user', content }], stream: true },
    });
    const worker = h.worker({ handlers: { chat: chatHandler(f.pool) } });
    const failed = worker.once('job:failed');
    await worker.start();
    const event = await failed;
    assert.equal(event.error.code, PROVIDER_STREAM_INTERRUPTED);
    assert.equal(f.mocks.b!.stats.chat, 0, 'the broken stream was restarted on another provider');
    const { text, events } = await deltas(h, job!.id);
    assert.ok(text.length > 0 && content.startsWith(text) && text.length < content.length, `deltas: "${text}"`);
    assert.ok(events.every((delta) => delta.attempt === 1));
    assert.ok(f.events.some((e) => e.type === 'failure' && e.provider === 'a'));
  });

  test('a chunk emit refuses fails the job rather than passing a stream with a gap', async () => {
    const ctx = handlerContext('chat', { model: 'm', messages: [{ role: 'user', content: promptOf(10) }], stream: true });
    let calls = 0;
    ctx.emit = () => {
      calls += 1;
      throw new ValidationError('emit: chunk: must not contain NUL (\\u0000)', 'chunk');
    };
    await assert.rejects(Promise.resolve(chatHandler(f.pool).handle(ctx as never)), { code: ErrorCodes.validation });
    assert.equal(calls, 1, 'emit was called again after it refused');
  });

  test('stream must be a boolean', async () => {
    const ctx = handlerContext('chat', { model: 'm', messages: [{ role: 'user', content: 'x' }], stream: 'yes' });
    await assert.rejects(Promise.resolve(chatHandler(f.pool).handle(ctx as never)), {
      code: ErrorCodes.permanent,
      message: /input\.stream: must be a boolean/,
    });
  });
});
