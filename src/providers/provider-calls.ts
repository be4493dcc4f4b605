import type { ChatCompletionCreateParamsBase } from 'openai/resources/chat/completions';
import { ProviderStreamInterruptedError } from './provider-errors.js';
import type { PoolCallResult, PoolMember, PoolResult, ProviderPool, TokenUsage } from './provider-pool.js';
import { estimateChatTokens, estimateTokens } from './tokens.js';

export interface ChatMessage {
  role: 'system' | 'developer' | 'user' | 'assistant';
  content: string;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  temperature?: number | undefined;
  maxTokens?: number | undefined;
  /** Tokens drawn from the tpm budget before the call (reconciled with `usage` after). */
  estimatedTokens: number;
  signal?: AbortSignal | undefined;
  /**
   * Streams the answer: called with each piece of text as the provider sends it (the answer still
   * resolves with the whole text). Must not throw.
   */
  onText?: ((text: string) => void) | undefined;
}

export interface ChatAnswer {
  text: string;
  finishReason: string;
}

/**
 * One chat completion through the pool (failover, limits, circuit breakers). With `onText`, the
 * answer is streamed: a stream that fails before its first piece of text fails over like any
 * call; one that breaks after it ends the attempt (ProviderStreamInterruptedError).
 */
export function chatCompletion(pool: ProviderPool, request: ChatRequest): Promise<PoolResult<ChatAnswer>> {
  const onText = request.onText;
  return pool.run({ model: request.model, estimatedTokens: request.estimatedTokens, signal: request.signal }, (member, signal) =>
    onText ? streamedChat(member, request, onText, signal) : wholeChat(member, request, signal),
  );
}

function chatParams(request: ChatRequest): ChatCompletionCreateParamsBase {
  return {
    model: request.model,
    messages: request.messages,
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    ...(request.maxTokens === undefined ? {} : { max_tokens: request.maxTokens }),
  };
}

async function wholeChat(member: PoolMember, request: ChatRequest, signal: AbortSignal): Promise<PoolCallResult<ChatAnswer>> {
  const completion = await member.client.chat.completions.create({ ...chatParams(request), stream: false }, { signal });
  const choice = completion.choices[0];
  return {
    value: { text: choice?.message.content ?? '', finishReason: choice?.finish_reason ?? 'stop' },
    usage: toUsage(completion.usage?.prompt_tokens, completion.usage?.completion_tokens),
  };
}

/** A streamed chat: usage from OpenAI's last chunk (`include_usage`), else estimated from the text. */
async function streamedChat(
  member: PoolMember,
  request: ChatRequest,
  onText: (text: string) => void,
  signal: AbortSignal,
): Promise<PoolCallResult<ChatAnswer>> {
  const stream = await member.client.chat.completions.create(
    { ...chatParams(request), stream: true, stream_options: { include_usage: true } },
    { signal },
  );
  let text = '';
  let finishReason = 'stop';
  let usage: TokenUsage | undefined;
  try {
    for await (const chunk of stream) {
      if (chunk.usage) usage = toUsage(chunk.usage.prompt_tokens, chunk.usage.completion_tokens);
      const choice = chunk.choices[0];
      if (choice?.finish_reason) finishReason = choice.finish_reason;
      const piece = choice?.delta?.content;
      if (piece) {
        text += piece;
        onText(piece);
      }
    }
  } catch (error) {
    // Nothing reached the handler yet (or the attempt itself was aborted): the pool decides.
    if (text === '' || signal.aborted) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new ProviderStreamInterruptedError(
      `provider ${member.config.name} broke its stream after ${text.length} characters: ${reason}`,
      error,
    );
  }
  return {
    value: { text, finishReason },
    usage: usage ?? toUsage(estimateChatTokens(request.messages), estimateTokens(text)),
  };
}

export interface EmbeddingsRequest {
  model: string;
  texts: string[];
  estimatedTokens: number;
  signal?: AbortSignal | undefined;
}

/** One embeddings request for every text (in order) through the pool. */
export function createEmbeddings(pool: ProviderPool, request: EmbeddingsRequest): Promise<PoolResult<number[][]>> {
  return pool.run(
    { model: request.model, estimatedTokens: request.estimatedTokens, signal: request.signal },
    async (member, signal) => {
      const response = await member.client.embeddings.create(
        { model: request.model, input: request.texts, encoding_format: 'float' },
        { signal },
      );
      const vectors: number[][] = new Array(request.texts.length);
      for (const item of response.data) vectors[item.index] = item.embedding;
      if (vectors.length !== request.texts.length || vectors.some((vector) => !Array.isArray(vector))) {
        throw new Error(
          `provider ${member.config.name} returned ${response.data.length} embeddings for ${request.texts.length} inputs`,
        );
      }
      return { value: vectors, usage: toUsage(response.usage?.prompt_tokens, 0) };
    },
  );
}

function toUsage(input: number | undefined, output: number | undefined): TokenUsage {
  const inputTokens = input ?? 0;
  const outputTokens = output ?? 0;
  return { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens };
}
