import { closeFastTextModel } from '../models/fasttext-model.js';
import { closeTesseractModel } from '../models/tesseract-model.js';
import { closeWinkModel } from '../models/wink-model.js';
import type { HandlerMap } from '../worker/handler.js';
import { createDetectLanguageHandler } from './detect-language.js';
import type { ModelHandlerType } from './model-types.js';
import { createNlpHandler } from './nlp.js';
import { createOcrHandler } from './ocr.js';

export { MODEL_HANDLER_TYPES, type ModelHandlerType } from './model-types.js';

/**
 * The handlers that run offline models from npm packages on the CPU (see docs/models.md): `ocr`
 * (tesseract.js), `nlp` (wink-nlp), `detect-language` (fastText). A fresh map each call. Nothing
 * loads here: each model loads on its first job, once per process, and is reused. `cpuThreads`
 * (SLUICE_CPU_THREADS) sizes the NLP thread pool.
 */
export function modelHandlers(options: { cpuThreads?: number } = {}): HandlerMap {
  const handlers: Record<ModelHandlerType, HandlerMap[string]> = {
    ocr: createOcrHandler(),
    nlp: createNlpHandler(options.cpuThreads),
    'detect-language': createDetectLanguageHandler(),
  };
  return handlers;
}

/**
 * Releases what the model handlers hold (OCR workers, NLP threads, the fastText instance), so that
 * the process can exit. Call after the workers have stopped; safe to call more than once; a later
 * job loads its model again.
 */
export async function closeModelHandlers(): Promise<void> {
  await Promise.all([closeTesseractModel(), closeWinkModel(), closeFastTextModel()]);
}
