import { PermanentError } from '../core/errors.js';

/** The message of any thrown value: tesseract.js rejects with strings, others with Errors. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : String(error);
}

/**
 * The error a model handler fails its job with when the model itself cannot be loaded (missing or
 * corrupt data files, a WASM module that does not start): permanent, because retrying the same
 * process would load the same files. `model` is the label used in the message ("OCR").
 */
export function modelLoadError(model: string, cause: unknown): PermanentError {
  return new PermanentError(`${model} model could not be loaded: ${describeError(cause)}`, { cause });
}
