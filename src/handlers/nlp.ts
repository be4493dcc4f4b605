import { defaultCpuThreads } from '../models/cpu-threads.js';
import type { NlpAnalysis } from '../models/wink-analyse.js';
import { analyseInThread, resizeWinkPool } from '../models/wink-model.js';
import type { HandlerDefinition } from '../worker/handler.js';
import { NLP_MAX_TEXT_LENGTH, nlpInputSchema, parseInput } from './input-schemas.js';

export { NLP_MAX_TEXT_LENGTH };

/** Input of the `nlp` handler; `tokens: true` adds every token with its part of speech. */
export interface NlpInput {
  text: string;
  tokens?: boolean;
}

/** Output of the `nlp` handler: `{entities: [{text, type}], sentiment, ...}` (see wink-analyse.ts). */
export type NlpOutput = NlpAnalysis;

/**
 * The `nlp` handler: wink-nlp's English lite model, run in the NLP thread pool of at most `threads`
 * threads (SLUICE_CPU_THREADS). The pool is one per process: creating a handler sizes it.
 */
export function createNlpHandler(threads: number = defaultCpuThreads()): HandlerDefinition<NlpInput, NlpOutput> {
  resizeWinkPool(threads);
  return {
    handle: async ({ job, signal }) => {
      const { text, tokens } = parseInput(nlpInputSchema, job.input, 'nlp');
      return analyseInThread(text, { tokens: tokens ?? false }, signal);
    },
    concurrency: threads,
    timeoutMs: 30_000,
  };
}
