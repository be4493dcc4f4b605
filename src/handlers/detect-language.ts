import { type FastTextModel, getFastTextModel, type LanguageCandidate } from '../models/fasttext-model.js';
import type { HandlerDefinition } from '../worker/handler.js';
import { DETECT_LANGUAGE_MAX_TEXT_LENGTH, detectLanguageInputSchema, parseInput } from './input-schemas.js';

export { DETECT_LANGUAGE_MAX_TEXT_LENGTH };

/** Candidates returned, most likely first. */
const CANDIDATES = 3;

/** Input of the `detect-language` handler. */
export interface DetectLanguageInput {
  text: string;
}

/** Output: the most likely language (ISO 639-1 where it has one), its probability and the runners-up. */
export interface DetectLanguageOutput {
  language: string;
  name: string;
  confidence: number;
  candidates: LanguageCandidate[];
}

/** The `detect-language` handler on `model` (the process's shared fastText model by default). */
export function createDetectLanguageHandler(
  model: () => FastTextModel = getFastTextModel,
): HandlerDefinition<DetectLanguageInput, DetectLanguageOutput> {
  return {
    handle: async ({ job, signal }) => {
      const { text } = parseInput(detectLanguageInputSchema, job.input, 'detect-language');
      signal.throwIfAborted();
      const candidates = await model().identify(text, CANDIDATES);
      const best = candidates[0] ?? { language: 'und', iso6393: 'und', name: 'Undetermined', confidence: 0 };
      return { language: best.language, name: best.name, confidence: best.confidence, candidates };
    },
    timeoutMs: 10_000,
  };
}
