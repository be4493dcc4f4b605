import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { hashVector, type MockProvider, startMockProvider } from '../../../src/providers/mock-server.js';

async function post(mock: MockProvider, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${mock.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

describe('mock provider', () => {
  let mock: MockProvider;
  before(async () => {
    mock = await startMockProvider({ embeddingDimensions: 8 });
  });
  after(() => mock.close());

  test('listens on 127.0.0.1 and answers chat by echoing the last user message, with usage', async () => {
    assert.match(mock.url, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const response = await post(mock, '/chat/completions', {
      model: 'm',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: 'hello there' },
      ],
    });
    assert.equal(response.status, 200);
    const body = (await response.json()) as { choices: Array<{ message: { content: string } }>; usage: Record<string, number> };
    assert.equal(body.choices[0]?.message.content, 'hello there');
    assert.equal(body.usage.completion_tokens, 3);
    assert.equal(body.usage.total_tokens, (body.usage.prompt_tokens ?? 0) + 3);
  });

  test('embeddings are deterministic unit vectors of the configured dimension', async () => {
    const response = await post(mock, '/embeddings', { model: 'e', input: ['a', 'b', 'a'] });
    const body = (await response.json()) as { data: Array<{ embedding: number[]; index: number }> };
    assert.equal(body.data.length, 3);
    assert.equal(body.data[0]?.embedding.length, 8);
    assert.deepEqual(body.data[0]?.embedding, body.data[2]?.embedding);
    assert.notDeepEqual(body.data[0]?.embedding, body.data[1]?.embedding);
    assert.deepEqual(body.data[1]?.embedding, hashVector('b', 8));
    assert.ok(Math.abs(Math.hypot(...(body.data[0]?.embedding ?? [])) - 1) < 1e-9);
  });

  test('injects 500s and 429s with Retry-After and x-ratelimit headers', async () => {
    mock.failNext('error');
    mock.failNext('rate-limit');
    assert.equal((await post(mock, '/embeddings', { model: 'e', input: 'x' })).status, 500);
    const limited = await post(mock, '/embeddings', { model: 'e', input: 'x' });
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '1');
    assert.equal(limited.headers.get('x-ratelimit-remaining-requests'), '0');
    assert.equal(limited.headers.get('x-ratelimit-reset-requests'), '1s');
    assert.equal((await post(mock, '/embeddings', { model: 'e', input: 'x' })).status, 200);
  });

  test('rejects bad requests with 400', async () => {
    assert.equal((await post(mock, '/chat/completions', { model: 'm', messages: [] })).status, 400);
    assert.equal((await post(mock, '/embeddings', { input: 'x' })).status, 400);
  });
});

describe('mock provider limits', () => {
  test('answers 429 above its own rpm, with the time until the window frees', async () => {
    let now = 1_000_000;
    const mock = await startMockProvider({ rpm: 2, now: () => now });
    try {
      const call = () => post(mock, '/embeddings', { model: 'e', input: 'x' });
      assert.equal((await call()).status, 200);
      now += 10_000;
      assert.equal((await call()).status, 200);
      const limited = await call();
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get('retry-after'), '50');
      assert.equal(limited.headers.get('x-ratelimit-limit-requests'), '2');
      now += 50_000;
      assert.equal((await call()).status, 200);
      assert.equal(mock.stats.byStatus[429], 1);
      assert.equal(mock.stats.embeddings, 3, JSON.stringify(mock.stats));
    } finally {
      await mock.close();
    }
  });

  test('requires the API key when one is set, and knows its models when given', async () => {
    const mock = await startMockProvider({ apiKey: 'secret', models: ['only'] });
    try {
      assert.equal((await post(mock, '/embeddings', { model: 'only', input: 'x' })).status, 401);
      const auth = { authorization: 'Bearer secret' };
      assert.equal((await post(mock, '/embeddings', { model: 'only', input: 'x' }, auth)).status, 200);
      assert.equal((await post(mock, '/embeddings', { model: 'other', input: 'x' }, auth)).status, 404);
    } finally {
      await mock.close();
    }
  });

  test('a hanging request is cut by close()', async () => {
    const mock = await startMockProvider();
    mock.failNext('hang');
    const hung = mock.nextRequest();
    const pending = post(mock, '/embeddings', { model: 'e', input: 'x' }).then(
      (response) => response.status,
      () => 'cut',
    );
    await hung;
    assert.equal(mock.stats.hangs, 1);
    await mock.close();
    assert.ok(['cut', 503].includes(await pending));
  });
});

describe('mock provider streaming (stream: true)', () => {
  let mock: MockProvider;
  before(async () => {
    mock = await startMockProvider();
  });
  after(() => mock.close());

  test('streams a chat answer as OpenAI SSE chunks: role, a token per event, finish, usage, [DONE]', async () => {
    const response = await post(mock, '/chat/completions', {
      model: 'm',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'hello there' }],
    });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    const lines = (await response.text()).split('\n\n').filter((line) => line !== '');
    assert.ok(lines.every((line) => line.startsWith('data: ')));
    assert.equal(lines.at(-1), 'data: [DONE]');
    const chunks = lines.slice(0, -1).map((line) => JSON.parse(line.slice('data: '.length)));
    assert.ok(chunks.every((chunk) => chunk.object === 'chat.completion.chunk'));
    assert.deepEqual(chunks[0].choices[0].delta, { role: 'assistant', content: '' });
    const tokens = chunks.flatMap((chunk) =>
      chunk.choices.map((choice: { delta: { content?: string } }) => choice.delta.content ?? ''),
    );
    assert.deepEqual(tokens.slice(1, -1), ['hell', 'o th', 'ere']);
    assert.equal(chunks.at(-2).choices[0].finish_reason, 'stop');
    assert.deepEqual(chunks.at(-1).choices, []);
    assert.equal(chunks.at(-1).usage.completion_tokens, 3);
  });

  test('the openai client reads the mock stream: the whole text, in order, with usage', async () => {
    const client = new OpenAI({ baseURL: mock.url, apiKey: 'test', maxRetries: 0 });
    const content = Array.from({ length: 50 }, (_, i) => `w${i}`).join(' ');
    const stream = await client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let pieces = 0;
    let usage: OpenAI.CompletionUsage | undefined;
    let finishReason: string | null | undefined;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (choice?.delta.content) {
        text += choice.delta.content;
        pieces += 1;
      }
      finishReason = choice?.finish_reason ?? finishReason;
      if (chunk.usage) usage = chunk.usage;
    }
    assert.equal(text, content);
    assert.equal(pieces, Math.ceil(content.length / 4));
    assert.equal(finishReason, 'stop');
    assert.equal(usage?.completion_tokens, pieces);
  });

  test('a cut stream drops the connection halfway; the openai client sees it fail', async () => {
    const cutting = await startMockProvider({ streamDelayMs: 1 });
    try {
      cutting.failNext('cut');
      const client = new OpenAI({ baseURL: cutting.url, apiKey: 'test', maxRetries: 0 });
      const stream = await client.chat.completions.create({
        model: 'm',
        messages: [{ role: 'user', content: 'abcdefghijklmnop' }],
        stream: true,
      });
      const received: string[] = [];
      await assert.rejects(async () => {
        for await (const chunk of stream) if (chunk.choices[0]?.delta.content) received.push(chunk.choices[0].delta.content);
      });
      assert.deepEqual(received, ['abcd', 'efgh']);
      // Not streamed, `cut` is a 500.
      cutting.failNext('cut');
      assert.equal(
        (await post(cutting, '/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'x' }] })).status,
        500,
      );
    } finally {
      await cutting.close();
    }
  });
});
