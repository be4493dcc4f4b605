/**
 * The job types served by the offline CPU models. Its own file, importing nothing, so that the API
 * server can accept these types without loading a model or starting a thread.
 */
export const MODEL_HANDLER_TYPES = ['ocr', 'nlp', 'detect-language'] as const;

export type ModelHandlerType = (typeof MODEL_HANDLER_TYPES)[number];
