import { PermanentError } from '../core/errors.js';
import {
  getTesseractModel,
  ImageDecodeError,
  OCR_DEFAULT_WORKERS,
  type OcrResult,
  type TesseractModel,
} from '../models/tesseract-model.js';
import type { HandlerDefinition } from '../worker/handler.js';
import { readImage } from './image-input.js';

/** Input of the `ocr` handler: a PNG or JPEG, base64 or a base64 `data:` URL. */
export interface OcrInput {
  image: string;
}

/** Output of the `ocr` handler: the English text found, and Tesseract's mean confidence (0..100). */
export type OcrOutput = OcrResult;

/**
 * The `ocr` handler on `model` (the process's shared Tesseract pool by default, resolved at each
 * job so that a closed model is replaced). Bad input and an image Tesseract cannot decode fail the
 * job permanently on `input.image`; so does a model that cannot load. `concurrency` should match
 * the model's worker count.
 */
export function createOcrHandler(
  model: () => TesseractModel = getTesseractModel,
  concurrency = OCR_DEFAULT_WORKERS,
): HandlerDefinition<OcrInput, OcrOutput> {
  return {
    handle: async ({ job, signal }) => {
      const image = readImage(job.input, 'ocr');
      try {
        return await model().recognize(image.bytes, signal);
      } catch (error) {
        if (error instanceof ImageDecodeError) {
          throw new PermanentError(
            `ocr: input.image could not be decoded as a ${image.format.toUpperCase()} image: ${error.message}`,
            {
              field: 'input.image',
            },
          );
        }
        throw error;
      }
    },
    // More jobs than OCR threads would only wait inside the pool while holding leases.
    concurrency,
    timeoutMs: 60_000,
  };
}
