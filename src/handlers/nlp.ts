import { defaultCpuThreads } from '../models/cpu-threads.js';
import type { NlpAnalysis } from '../models/wink-analyse.js';
import { analyseInThread, resizeWinkPool } from '../models/wink-model.js';
import type { HandlerDefinition } from '../worker/handler.js';
import { inputObject, readFlag, readText } from './model-input.js';

/** Longest text accepted, in characters (~20 000 tokens, 45-90 ms of wink on one core). */
export const NLP_MAX_TEXT_LENGTH = 100_000;

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
      const text = readText(job.input, 'nlp', NLP_MAX_TEXT_LENGTH);
      const tokens = readFlag(inputObject(job.input, 'nlp'), 'tokens', 'nlp');
      return analyseInThread(text, { tokens }, signal);
    },
    concurrency: threads,
    timeoutMs: 30_000,
  };
}
