import type { PoolResult, ProviderPool, TokenUsage } from './provider-pool.js';

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
}

export interface ChatAnswer {
  text: string;
  finishReason: string;
}

/** One chat completion through the pool (failover, limits, circuit breakers). */
export function chatCompletion(pool: ProviderPool, request: ChatRequest): Promise<PoolResult<ChatAnswer>> {
  return pool.run(
    { model: request.model, estimatedTokens: request.estimatedTokens, signal: request.signal },
    async (member, signal) => {
      const completion = await member.client.chat.completions.create(
        {
          model: request.model,
          messages: request.messages,
          ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
          ...(request.maxTokens === undefined ? {} : { max_tokens: request.maxTokens }),
        },
        { signal },
      );
      const choice = completion.choices[0];
      return {
        value: { text: choice?.message.content ?? '', finishReason: choice?.finish_reason ?? 'stop' },
        usage: toUsage(completion.usage?.prompt_tokens, completion.usage?.completion_tokens),
      };
    },
  );
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
