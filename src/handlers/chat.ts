import type { z } from 'zod';
import { ErrorCodes, hasErrorCode } from '../core/errors.js';
import { chatCompletion } from '../providers/provider-calls.js';
import type { ProviderPool, TokenUsage } from '../providers/provider-pool.js';
import { estimateChatTokens } from '../providers/tokens.js';
import type { UsageSink } from '../providers/usage-recorder.js';
import type { HandlerDefinition } from '../worker/handler.js';
import { chatInputSchema, parseInput } from './input-schemas.js';

/** Output tokens assumed for the budget when the job gives no maxTokens. */
export const DEFAULT_CHAT_MAX_TOKENS = 512;

export { chatInputSchema, parseInput };

/** Input of the `chat` handler. */
export type ChatInput = z.input<typeof chatInputSchema>;

/** Output of the `chat` handler. */
export interface ChatOutput {
  text: string;
  usage: TokenUsage;
  /** The provider that answered. */
  provider: string;
  model: string;
  finishReason: string;
  /** Dollars, when the provider has a price table. */
  costUsd?: number;
}

/** Options of the provider handlers. */
export interface ProviderHandlerOptions {
  /** Receives the tokens and cost of every provider call, charged to its job (token accounting). */
  usage?: UsageSink | undefined;
}

/**
 * The `chat` handler: `{messages, model, temperature?, maxTokens?, stream?}` → `{text, usage,
 * provider}` through `pool`. With `stream: true` each piece of text goes to `ctx.emit` as the
 * provider sends it (`job.output.delta` events) and the output is the same whole text. Each call
 * that a provider served is reported to `options.usage` at once, so it is counted even when the
 * attempt fails afterwards (a lost lease, a timeout).
 */
export function chatHandler(pool: ProviderPool, options: ProviderHandlerOptions = {}): HandlerDefinition<ChatInput, ChatOutput> {
  return {
    handle: async ({ job, signal, emit }) => {
      const input = parseInput(chatInputSchema, job.input, 'chat');
      // A chunk emit refuses (after the attempt's end, or text that is not storable) stops the
      // stream, not the provider's call: the signal ends the call when the attempt is over.
      let emitError: unknown;
      const onText = (text: string): void => {
        if (emitError !== undefined) return;
        try {
          emit(text);
        } catch (error) {
          emitError = error;
        }
      };
      const result = await chatCompletion(pool, {
        model: input.model,
        messages: input.messages,
        temperature: input.temperature,
        maxTokens: input.maxTokens,
        estimatedTokens: estimateChatTokens(input.messages) + (input.maxTokens ?? DEFAULT_CHAT_MAX_TOKENS),
        signal,
        onText: input.stream === true ? onText : undefined,
      });
      options.usage?.record({
        jobId: job.id,
        queue: job.queue,
        tenant: job.tenant,
        type: job.type,
        provider: result.provider,
        model: input.model,
        inputTokens: result.usage.inputTokens,
        outputTokens: result.usage.outputTokens,
        costUsd: result.costUsd,
      });
      // A stream with a gap must not pass for a whole one; a lost lease is the worker's to report.
      if (emitError !== undefined && !hasErrorCode(emitError, ErrorCodes.leaseLost)) throw emitError;
      const output: ChatOutput = {
        text: result.value.text,
        usage: result.usage,
        provider: result.provider,
        model: input.model,
        finishReason: result.value.finishReason,
      };
      if (result.costUsd !== undefined) output.costUsd = result.costUsd;
      return output;
    },
  };
}
