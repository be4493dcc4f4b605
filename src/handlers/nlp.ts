import type { NlpAnalysis } from '../models/wink-analyse.js';
import { analyseInThread, NLP_THREADS } from '../models/wink-model.js';
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

/** The `nlp` handler: wink-nlp's English lite model, run in the NLP thread pool. */
export const nlpHandler: HandlerDefinition<NlpInput, NlpOutput> = {
  handle: async ({ job, signal }) => {
    const { text, tokens } = parseInput(nlpInputSchema, job.input, 'nlp');
    return analyseInThread(text, { tokens: tokens ?? false }, signal);
  },
  concurrency: NLP_THREADS,
  timeoutMs: 30_000,
};
