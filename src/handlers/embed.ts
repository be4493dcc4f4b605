import type { z } from 'zod';
import { createEmbeddings } from '../providers/provider-calls.js';
import type { ProviderPool, TokenUsage } from '../providers/provider-pool.js';
import { estimateTokens } from '../providers/tokens.js';
import type { BatchItemResult, BatchOptions, HandlerContext, HandlerDefinition } from '../worker/handler.js';
import type { ProviderHandlerOptions } from './chat.js';
import { EMBED_MAX_INPUTS, embedInputSchema, parseInput } from './input-schemas.js';

export { EMBED_MAX_INPUTS, embedInputSchema };

/** Input of the `embed` handler. */
export type EmbedInput = z.input<typeof embedInputSchema>;

/** Output of the `embed` handler. */
export interface EmbedOutput {
  /** One vector per text, in order. */
  vectors: number[][];
  usage: TokenUsage;
  provider: string;
  model: string;
  costUsd?: number;
}

/** Default batching window of `embed`. */
export const EMBED_BATCH: BatchOptions = { maxSize: 32, maxWaitMs: 20 };

/**
 * The `embed` handler: `{texts, model}` → `{vectors, usage, provider}` through `pool`. Batched:
 * jobs claimed together are sent as one embeddings request per model (up to EMBED_MAX_INPUTS
 * texts); a job with bad input fails alone. The provider reports usage for the whole request, so
 * each job's share is split by its texts' estimated tokens; `options.usage` gets one entry per job
 * with that share (the same numbers as the job's output).
 */
export function embedHandler(
  pool: ProviderPool,
  batch: BatchOptions = EMBED_BATCH,
  options: ProviderHandlerOptions = {},
): HandlerDefinition<EmbedInput, EmbedOutput> {
  const handleBatch = async (
    items: Array<HandlerContext<EmbedInput>>,
    signal: AbortSignal,
  ): Promise<Array<BatchItemResult<EmbedOutput>>> => {
    const results: Array<BatchItemResult<EmbedOutput> | undefined> = new Array(items.length);
    // Validate each job alone: one bad input must not fail its neighbours.
    const groups = new Map<string, Array<{ index: number; texts: string[]; job: HandlerContext<EmbedInput>['job'] }>>();
    items.forEach((item, index) => {
      try {
        const input = parseInput(embedInputSchema, item.job.input, 'embed');
        const group = groups.get(input.model) ?? [];
        group.push({ index, texts: input.texts, job: item.job });
        groups.set(input.model, group);
      } catch (error) {
        results[index] = { ok: false, error };
      }
    });
    for (const [model, members] of groups) {
      for (const chunk of chunkByInputs(members)) {
        const texts = chunk.flatMap((member) => member.texts);
        const estimates = chunk.map((member) => member.texts.reduce((sum, text) => sum + estimateTokens(text), 0));
        const estimatedTotal = estimates.reduce((a, b) => a + b, 0);
        try {
          const response = await createEmbeddings(pool, { model, texts, estimatedTokens: estimatedTotal, signal });
          let offset = 0;
          const shares = estimates.map((estimate) => (estimatedTotal === 0 ? 1 / chunk.length : estimate / estimatedTotal));
          const tokenShares = splitTokens(response.usage.inputTokens, shares);
          chunk.forEach((member, position) => {
            const share = shares[position] ?? 0;
            const inputTokens = tokenShares[position] ?? 0;
            const output: EmbedOutput = {
              vectors: response.value.slice(offset, offset + member.texts.length),
              usage: { inputTokens, outputTokens: 0, totalTokens: inputTokens },
              provider: response.provider,
              model,
            };
            if (response.costUsd !== undefined) output.costUsd = response.costUsd * share;
            options.usage?.record({
              jobId: member.job.id,
              queue: member.job.queue,
              tenant: member.job.tenant,
              type: member.job.type,
              provider: response.provider,
              model,
              inputTokens,
              outputTokens: 0,
              costUsd: output.costUsd,
            });
            offset += member.texts.length;
            results[member.index] = { ok: true, output };
          });
        } catch (error) {
          for (const member of chunk) results[member.index] = { ok: false, error };
        }
      }
    }
    return results.map((result) => result ?? { ok: false, error: new Error('embed: job was not processed') });
  };

  return {
    handle: async (context) => {
      const [result] = await handleBatch([context], context.signal);
      if (!result?.ok) throw result?.error;
      return result.output;
    },
    batch,
    handleBatch,
  };
}

/** Splits `total` tokens by `shares` into integers that add up to `total` (largest remainder). */
function splitTokens(total: number, shares: readonly number[]): number[] {
  const exact = shares.map((share) => total * share);
  const parts = exact.map(Math.floor);
  let left = total - parts.reduce((a, b) => a + b, 0);
  const order = exact
    .map((value, index) => ({ index, remainder: value - Math.floor(value) }))
    .sort((a, b) => b.remainder - a.remainder);
  for (const { index } of order) {
    if (left <= 0) break;
    parts[index] = (parts[index] ?? 0) + 1;
    left -= 1;
  }
  return parts;
}

/** Splits jobs into requests of at most EMBED_MAX_INPUTS texts (a job is never split). */
function chunkByInputs<T extends { texts: string[] }>(members: T[]): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let count = 0;
  for (const member of members) {
    if (count + member.texts.length > EMBED_MAX_INPUTS && current.length > 0) {
      chunks.push(current);
      current = [];
      count = 0;
    }
    current.push(member);
    count += member.texts.length;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
