import { createHash } from 'node:crypto';
import Fastify, { type FastifyReply } from 'fastify';
import { estimateChatTokens, estimateTokens } from './tokens.js';

/**
 * A failure the mock answers with instead of a normal response. `cut`: a streamed chat answer
 * stops after half of its tokens (the connection is dropped); an answer not streamed is a 500.
 */
export type MockFailure = 'error' | 'rate-limit' | 'hang' | 'cut';

export interface MockProviderOptions {
  /** Port to listen on; 0 (default) picks a free one. Always on 127.0.0.1 unless `host` says otherwise. */
  port?: number;
  host?: string;
  /** Delay before every answer, in ms. Default 0. */
  latencyMs?: number;
  /** Delay before each token of a streamed chat answer (`stream: true`), in ms. Default 0. */
  streamDelayMs?: number;
  /** Share (0..1) of requests answered with a 500. Default 0. */
  failRate?: number;
  /** Share (0..1) of requests answered with a 429 (Retry-After). Default 0. */
  rateLimitRate?: number;
  /** Share (0..1) of requests that never get an answer (until close). Default 0. */
  hangRate?: number;
  /** Own rate limit in requests per minute (sliding window); above it, 429. Default none. */
  rpm?: number;
  /** Seconds sent in `Retry-After` with an injected 429. Default 1. */
  retryAfterSeconds?: number;
  /** Length of the embedding vectors (unless the request asks for `dimensions`). Default 16. */
  embeddingDimensions?: number;
  /** When set, requests must carry `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** When set, other model names are answered with a 404 `model_not_found`. */
  models?: string[];
  /** Random source for the failure rates (tests pass a fixed one). Default Math.random. */
  random?: () => number;
  /** Time source for the rpm window. Default Date.now. */
  now?: () => number;
}

/** Counters for tests and the CLI. */
export interface MockProviderStats {
  /** Every request to a /v1 endpoint. */
  requests: number;
  chat: number;
  embeddings: number;
  /** Inputs embedded (one request may carry many). */
  embeddedInputs: number;
  /** Responses by HTTP status (hangs are not counted until they end). */
  byStatus: Record<number, number>;
  hangs: number;
  /** Prompt and completion tokens reported in successful answers. */
  promptTokens: number;
  completionTokens: number;
}

export interface MockProvider {
  /** Base URL for an OpenAI client: `http://127.0.0.1:PORT/v1`. */
  url: string;
  port: number;
  stats: MockProviderStats;
  /** The next `count` requests fail this way (before rates and rpm are considered). */
  failNext(failure: MockFailure, count?: number): void;
  /** Changes options while running (latency, rates, rpm). */
  configure(
    options: Partial<
      Pick<
        MockProviderOptions,
        'latencyMs' | 'streamDelayMs' | 'failRate' | 'rateLimitRate' | 'hangRate' | 'rpm' | 'retryAfterSeconds'
      >
    >,
  ): void;
  /** Resolves on the next request that gets an answer or a hang (after its counters are updated). */
  nextRequest(): Promise<MockProviderStats>;
  /** Stops listening; hanging requests are cut. */
  close(): Promise<void>;
}

interface ChatBody {
  model?: unknown;
  messages?: unknown;
  max_tokens?: unknown;
  max_completion_tokens?: unknown;
  stream?: unknown;
  stream_options?: { include_usage?: unknown } | null;
}

interface EmbeddingsBody {
  model?: unknown;
  input?: unknown;
  dimensions?: unknown;
}

const WINDOW_MS = 60_000;

/**
 * An OpenAI-compatible server for tests, the demo and benchmarks: `POST /v1/chat/completions`
 * (echoes the last user message; with `stream: true` as server-sent events in OpenAI's chunk
 * format, one token of about four characters per event, then `data: [DONE]`), `POST /v1/embeddings` (a deterministic hash-based unit vector per
 * input), `GET /v1/models`, token `usage`, latency, injected failures (500, 429 with Retry-After
 * and `x-ratelimit-*` headers, hangs) and its own requests-per-minute limit.
 */
export async function startMockProvider(options: MockProviderOptions = {}): Promise<MockProvider> {
  const settings = {
    latencyMs: options.latencyMs ?? 0,
    streamDelayMs: options.streamDelayMs ?? 0,
    failRate: options.failRate ?? 0,
    rateLimitRate: options.rateLimitRate ?? 0,
    hangRate: options.hangRate ?? 0,
    rpm: options.rpm,
    retryAfterSeconds: options.retryAfterSeconds ?? 1,
  };
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const dimensionsDefault = options.embeddingDimensions ?? 16;
  const scripted: MockFailure[] = [];
  const window: number[] = [];
  const hanging = new Set<() => void>();
  const waiters: Array<(stats: MockProviderStats) => void> = [];
  const stats: MockProviderStats = {
    requests: 0,
    chat: 0,
    embeddings: 0,
    embeddedInputs: 0,
    byStatus: {},
    hangs: 0,
    promptTokens: 0,
    completionTokens: 0,
  };

  const notify = (): void => {
    for (const resolve of waiters.splice(0)) resolve(stats);
  };
  const answer = (reply: FastifyReply, status: number, body: unknown): true => {
    send(reply, status, body);
    return true;
  };
  const send = (reply: FastifyReply, status: number, body: unknown): FastifyReply => {
    stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
    notify();
    return reply.code(status).send(body);
  };
  const errorBody = (message: string, type: string, code: string | null = null) => ({
    error: { message, type, param: null, code },
  });
  const rateHeaders = (reply: FastifyReply, resetMs: number, remaining: number): void => {
    reply.header('x-ratelimit-limit-requests', String(settings.rpm ?? 0));
    reply.header('x-ratelimit-remaining-requests', String(Math.max(0, remaining)));
    reply.header('x-ratelimit-reset-requests', formatDuration(resetMs));
  };

  /** Runs the failure script, rates and rpm; true when the request was answered here, `cut` when a
   * stream must break halfway. (A FastifyReply is thenable, so it is never returned through a promise.) */
  const gate = async (reply: FastifyReply, model: unknown, streamed = false): Promise<boolean | 'cut'> => {
    stats.requests += 1;
    if (settings.latencyMs > 0) await delay(settings.latencyMs);
    if (options.apiKey !== undefined && reply.request.headers.authorization !== `Bearer ${options.apiKey}`) {
      return answer(reply, 401, errorBody('Incorrect API key provided', 'invalid_request_error', 'invalid_api_key'));
    }
    const failure = scripted.shift() ?? pickFailure();
    if (failure === 'hang') {
      stats.hangs += 1;
      notify();
      // Never answered: the client's timeout (or close) ends it.
      await new Promise<void>((resolve) => hanging.add(resolve));
      return answer(reply, 503, errorBody('mock provider closed', 'server_error'));
    }
    if (failure === 'error' || (failure === 'cut' && !streamed)) {
      return answer(reply, 500, errorBody('injected failure', 'server_error'));
    }
    if (failure === 'rate-limit') {
      reply.header('retry-after', String(settings.retryAfterSeconds));
      rateHeaders(reply, settings.retryAfterSeconds * 1000, 0);
      return answer(reply, 429, errorBody('Rate limit reached (injected)', 'requests', 'rate_limit_exceeded'));
    }
    if (settings.rpm !== undefined) {
      const t = now();
      while (window.length > 0 && (window[0] ?? 0) <= t - WINDOW_MS) window.shift();
      if (window.length >= settings.rpm) {
        const resetMs = Math.max(1, (window[0] ?? t) + WINDOW_MS - t);
        reply.header('retry-after', String(Math.ceil(resetMs / 1000)));
        rateHeaders(reply, resetMs, 0);
        return answer(
          reply,
          429,
          errorBody(`Rate limit reached: ${settings.rpm} requests per minute`, 'requests', 'rate_limit_exceeded'),
        );
      }
      window.push(t);
      rateHeaders(reply, Math.max(0, (window[0] ?? t) + WINDOW_MS - t), settings.rpm - window.length);
    }
    if (typeof model !== 'string' || model === '') {
      return answer(reply, 400, errorBody('you must provide a model parameter', 'invalid_request_error'));
    }
    if (options.models && !options.models.includes(model)) {
      return answer(reply, 404, errorBody(`The model \`${model}\` does not exist`, 'invalid_request_error', 'model_not_found'));
    }
    return failure === 'cut' ? 'cut' : false;
  };

  const pickFailure = (): MockFailure | undefined => {
    const r = random();
    if (r < settings.hangRate) return 'hang';
    if (r < settings.hangRate + settings.failRate) return 'error';
    if (r < settings.hangRate + settings.failRate + settings.rateLimitRate) return 'rate-limit';
    return undefined;
  };

  const app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: 32 * 1024 * 1024 });

  app.get('/v1/models', async () => ({
    object: 'list',
    data: (options.models ?? ['mock-chat', 'mock-embed']).map((id) => ({
      id,
      object: 'model',
      created: 0,
      owned_by: 'sluice-mock',
    })),
  }));

  app.post('/v1/chat/completions', async (request, reply) => {
    const body = (request.body ?? {}) as ChatBody;
    const streamed = body.stream === true;
    const gated = await gate(reply, body.model, streamed);
    if (gated === true) return reply;
    if (!Array.isArray(body.messages) || body.messages.length === 0) {
      return send(reply, 400, errorBody('messages must be a non-empty array', 'invalid_request_error'));
    }
    const messages = body.messages as Array<{ role?: unknown; content?: unknown }>;
    const lastUser = [...messages].reverse().find((message) => message.role === 'user');
    let text = typeof lastUser?.content === 'string' ? lastUser.content : '';
    const maxTokens = body.max_completion_tokens ?? body.max_tokens;
    let finishReason = 'stop';
    if (typeof maxTokens === 'number' && estimateTokens(text) > maxTokens) {
      text = text.slice(0, Math.max(0, maxTokens) * 4);
      finishReason = 'length';
    }
    const promptTokens = estimateChatTokens(messages);
    const completionTokens = estimateTokens(text);
    stats.chat += 1;
    stats.promptTokens += promptTokens;
    stats.completionTokens += completionTokens;
    const usage = {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    };
    if (streamed) {
      stats.byStatus[200] = (stats.byStatus[200] ?? 0) + 1;
      notify();
      await streamChat(reply, {
        id: `chatcmpl-mock-${stats.chat}`,
        model: body.model,
        text,
        finishReason,
        usage: body.stream_options?.include_usage === true ? usage : undefined,
        cut: gated === 'cut',
        delayMs: settings.streamDelayMs,
      });
      return reply;
    }
    return send(reply, 200, {
      id: `chatcmpl-mock-${stats.chat}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      choices: [
        { index: 0, message: { role: 'assistant', content: text, refusal: null }, finish_reason: finishReason, logprobs: null },
      ],
      usage,
    });
  });

  app.post('/v1/embeddings', async (request, reply) => {
    const body = (request.body ?? {}) as EmbeddingsBody;
    if (await gate(reply, body.model)) return reply;
    const inputs = typeof body.input === 'string' ? [body.input] : body.input;
    if (!Array.isArray(inputs) || inputs.length === 0 || !inputs.every((input) => typeof input === 'string')) {
      return send(reply, 400, errorBody('input must be a string or a non-empty array of strings', 'invalid_request_error'));
    }
    const dimensions =
      typeof body.dimensions === 'number' && body.dimensions > 0 ? Math.floor(body.dimensions) : dimensionsDefault;
    const promptTokens = inputs.reduce((sum, input) => sum + estimateTokens(input), 0);
    stats.embeddings += 1;
    stats.embeddedInputs += inputs.length;
    stats.promptTokens += promptTokens;
    return send(reply, 200, {
      object: 'list',
      model: body.model,
      data: inputs.map((input, index) => ({ object: 'embedding', index, embedding: hashVector(input, dimensions) })),
      usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
    });
  });

  const address = await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  const port = Number(new URL(address).port);
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}/v1`,
    port,
    stats,
    failNext(failure, count = 1) {
      for (let i = 0; i < count; i += 1) scripted.push(failure);
    },
    configure(changes) {
      Object.assign(settings, changes);
    },
    nextRequest() {
      return new Promise((resolve) => waiters.push(resolve));
    },
    async close() {
      for (const release of hanging) release();
      hanging.clear();
      await app.close();
    },
  };
}

interface StreamedChat {
  id: string;
  model: unknown;
  text: string;
  finishReason: string;
  /** Sent as a last chunk with no choices (OpenAI's `stream_options.include_usage`). */
  usage: Record<string, number> | undefined;
  /** Drop the connection after half of the tokens. */
  cut: boolean;
  delayMs: number;
}

/**
 * Writes a chat answer as OpenAI streams it: a chunk with the role, one chunk per token (about
 * four characters, so the count matches `completion_tokens`), a chunk with the finish reason, the
 * usage chunk when asked for, then `data: [DONE]`.
 */
async function streamChat(reply: FastifyReply, chat: StreamedChat): Promise<void> {
  const headers = { ...reply.getHeaders(), 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, headers as Record<string, string>);
  const base = { id: chat.id, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: chat.model };
  const write = (data: unknown): boolean => {
    if (raw.destroyed) return false;
    raw.write(`data: ${JSON.stringify(data)}\n\n`);
    return true;
  };
  const delta = (content: Record<string, string>, finishReason: string | null = null) => ({
    ...base,
    choices: [{ index: 0, delta: content, finish_reason: finishReason, logprobs: null }],
  });
  write(delta({ role: 'assistant', content: '' }));
  const tokens = chat.text.match(/[\s\S]{1,4}/gu) ?? [];
  for (const [index, token] of tokens.entries()) {
    if (chat.cut && index === Math.floor(tokens.length / 2)) {
      // What was written goes out first: the client must see the tokens before the break.
      await new Promise<void>((resolve) => raw.write('', () => resolve()));
      raw.destroy();
      return;
    }
    if (chat.delayMs > 0) await delay(chat.delayMs);
    if (!write(delta({ content: token }))) return;
  }
  write(delta({}, chat.finishReason));
  if (chat.usage) write({ ...base, choices: [], usage: chat.usage });
  if (raw.destroyed) return;
  raw.end('data: [DONE]\n\n');
}

/**
 * A deterministic unit vector for `text`: SHA-256 in counter mode, bytes mapped to [-1, 1], then
 * normalised. The same text always gives the same vector; different texts give unrelated ones.
 */
export function hashVector(text: string, dimensions: number): number[] {
  const values: number[] = [];
  for (let block = 0; values.length < dimensions; block += 1) {
    const digest = createHash('sha256').update(`${block}:${text}`).digest();
    for (let i = 0; i + 1 < digest.length && values.length < dimensions; i += 2) {
      values.push((digest.readUInt16BE(i) / 65535) * 2 - 1);
    }
  }
  const norm = Math.hypot(...values) || 1;
  return values.map((value) => value / norm);
}

/** OpenAI's reset format: `1s`, `6m0s`, `20ms`. */
function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  const seconds = Math.ceil(ms / 1000);
  return seconds >= 60 ? `${Math.floor(seconds / 60)}m${seconds % 60}s` : `${seconds}s`;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
