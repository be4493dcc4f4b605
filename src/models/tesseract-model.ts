import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import Tesseract from 'tesseract.js';
import { describeError, modelLoadError } from './model-errors.js';

/**
 * The OCR model: Tesseract 5 (LSTM engine) compiled to WebAssembly by tesseract.js, with the
 * English traineddata shipped in the npm package `@tesseract.js-data/eng`. Nothing is downloaded:
 * `langPath` points at the package directory (tesseract.js's default is a CDN) and `cacheMethod:
 * 'none'` stops it from reading or writing a cache file in the working directory.
 *
 * Each tesseract.js worker is its own worker thread with its own WASM instance and its own copy of
 * the model, so recognition never blocks the event loop. This module keeps a small pool of them
 * per process: created lazily (one at first use, more only while all are busy), reused for every
 * job, and terminated by `closeTesseractModel()`.
 */

/** Result of one recognition: the text, trimmed, and Tesseract's mean word confidence (0..100). */
export interface OcrResult {
  text: string;
  confidence: number;
}

export interface TesseractModelOptions {
  /** Most tesseract.js workers (threads, each with its own model copy, ~40 MB) this model runs. */
  workers?: number;
  /** Directory holding `eng.traineddata.gz`; the `@tesseract.js-data/eng` package by default. */
  langPath?: string;
}

/** Workers by default: leave a core to the event loop, at most 2 (each costs ~40 MB). */
export const OCR_DEFAULT_WORKERS = Math.max(1, Math.min(2, availableParallelism() - 1));

/** A worker that has not finished loading after this long is treated as a failed load. */
const LOAD_TIMEOUT_MS = 60_000;

/**
 * The English traineddata of `@tesseract.js-data/eng`: its `4.0.0_best_int` directory, the
 * integer-quantised LSTM-only model (2.9 MB gzipped) that tesseract.js itself fetches for the
 * LSTM engine. (The package's `4.0.0` directory, 10.9 MB, adds the legacy engine we do not use.)
 */
export function defaultTesseractLangPath(): string {
  const packageJson = createRequire(import.meta.url).resolve('@tesseract.js-data/eng/package.json');
  return path.join(path.dirname(packageJson), '4.0.0_best_int');
}

/** Thrown by `recognize` when Tesseract cannot decode the image it was given. */
export class ImageDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageDecodeError';
  }
}

type Waiter = { resolve: (worker: Tesseract.Worker | undefined) => void; reject: (error: unknown) => void };

/** A pool of tesseract.js workers that all run the English model. */
export class TesseractModel {
  readonly maxWorkers: number;
  readonly langPath: string;
  #idle: Tesseract.Worker[] = [];
  #all = new Set<Tesseract.Worker>();
  #creating = 0;
  #waiters: Waiter[] = [];
  #loads = 0;
  #closed = false;

  constructor(options: TesseractModelOptions = {}) {
    this.maxWorkers = Math.max(1, Math.floor(options.workers ?? OCR_DEFAULT_WORKERS));
    this.langPath = options.langPath ?? defaultTesseractLangPath();
  }

  /** How many times a worker loaded the model (one per worker created, ever). */
  get loads(): number {
    return this.#loads;
  }

  /** Workers alive now, and jobs waiting for one. */
  stats(): { workers: number; idle: number; waiting: number } {
    return { workers: this.#all.size, idle: this.#idle.length, waiting: this.#waiters.length };
  }

  /**
   * Recognises the English text in a PNG or JPEG image (raw bytes: never a string, which
   * tesseract.js would read as a file path or fetch as a URL). Rejects with a PermanentError when
   * the model cannot load, with ImageDecodeError when the image cannot be decoded, and with
   * `signal.reason` when aborted: the worker running the image is then terminated (Tesseract cannot
   * be interrupted otherwise) and replaced on demand.
   */
  async recognize(image: Uint8Array, signal?: AbortSignal): Promise<OcrResult> {
    const worker = await this.#acquire(signal);
    let keep = true;
    try {
      const result = await abortable(worker.recognize(Buffer.from(image.buffer, image.byteOffset, image.byteLength)), signal);
      return { text: result.data.text.trim(), confidence: Math.round(result.data.confidence * 100) / 100 };
    } catch (error) {
      if (signal?.aborted) {
        keep = false;
        throw signal.reason;
      }
      const message = describeError(error);
      if (/read image/i.test(message)) throw new ImageDecodeError(message.replace(/^Error: /, ''));
      keep = false; // an unknown failure: do not reuse a worker in an unknown state
      throw error instanceof Error ? error : new Error(message);
    } finally {
      if (keep && !this.#closed) this.#release(worker);
      else void this.#discard(worker);
    }
  }

  /** Terminates every worker; waiting and later calls reject. Safe to call more than once. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(new Error('the OCR model was closed'));
    const workers = [...this.#all];
    this.#all.clear();
    this.#idle = [];
    await Promise.all(workers.map((worker) => worker.terminate().catch(() => undefined)));
  }

  async #acquire(signal: AbortSignal | undefined): Promise<Tesseract.Worker> {
    for (;;) {
      signal?.throwIfAborted();
      if (this.#closed) throw new Error('the OCR model was closed');
      const idle = this.#idle.pop();
      if (idle) return idle;
      if (this.#all.size + this.#creating < this.maxWorkers) return await this.#create();
      const handed = await this.#wait(signal);
      if (handed) return handed;
    }
  }

  /** Waits for a released worker (handed over directly) or for free capacity (`undefined`). */
  #wait(signal: AbortSignal | undefined): Promise<Tesseract.Worker | undefined> {
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.#waiters.indexOf(waiter);
        if (index >= 0) this.#waiters.splice(index, 1);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        resolve: (worker) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(worker);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      this.#waiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  #release(worker: Tesseract.Worker): void {
    const waiter = this.#waiters.shift();
    if (waiter) waiter.resolve(worker);
    else this.#idle.push(worker);
  }

  async #discard(worker: Tesseract.Worker): Promise<void> {
    this.#all.delete(worker);
    this.#waiters.shift()?.resolve(undefined);
    await worker.terminate().catch(() => undefined);
  }

  async #create(): Promise<Tesseract.Worker> {
    this.#creating += 1;
    let worker: Tesseract.Worker;
    try {
      worker = await this.#load();
    } catch (error) {
      this.#creating -= 1;
      // The capacity this load held is free again: let a waiting job try its own load.
      this.#waiters.shift()?.resolve(undefined);
      throw error;
    }
    this.#creating -= 1;
    this.#loads += 1;
    if (this.#closed) {
      await worker.terminate().catch(() => undefined);
      throw new Error('the OCR model was closed');
    }
    this.#all.add(worker);
    return worker;
  }

  async #load(): Promise<Tesseract.Worker> {
    const file = path.join(this.langPath, 'eng.traineddata.gz');
    try {
      await access(file, constants.R_OK);
    } catch (error) {
      throw modelLoadError('OCR', `cannot read ${file} (${describeError(error)})`);
    }
    // tesseract.js reports a failed load only through `errorHandler` (without one it throws an
    // uncaught exception) and then never settles createWorker's promise: race the two. Such a
    // failure should not happen once the file is readable; if it does, that thread leaks, since
    // tesseract.js gives no handle on it.
    let onError: (error: unknown) => void = () => undefined;
    const failed = new Promise<never>((_, reject) => {
      onError = reject;
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer after ${LOAD_TIMEOUT_MS} ms`)), LOAD_TIMEOUT_MS);
    });
    try {
      return await Promise.race([
        Tesseract.createWorker('eng', Tesseract.OEM.LSTM_ONLY, {
          langPath: this.langPath,
          cacheMethod: 'none',
          gzip: true,
          // Recognition errors also reach this handler: after the load they are answered through
          // recognize's own promise, so only a load-time error matters here.
          errorHandler: (error: unknown) => onError(error),
        }),
        failed,
        timedOut,
      ]);
    } catch (error) {
      throw modelLoadError('OCR', error);
    } finally {
      clearTimeout(timer);
      onError = () => undefined;
      failed.catch(() => undefined);
    }
  }
}

/** `promise`, or a rejection with `signal.reason` as soon as the signal fires. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  // Once aborted, nobody awaits `promise` (tesseract.js rejects it, or never settles it, when its
  // worker is terminated under it): keep that rejection from being reported as unhandled.
  promise.catch(() => undefined);
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

let shared: TesseractModel | undefined;

/** The process's OCR model, created on first use (its workers load on first recognition). */
export function getTesseractModel(): TesseractModel {
  shared ??= new TesseractModel();
  return shared;
}

/** Terminates the OCR workers, so that the process can exit. Safe to call more than once. */
export async function closeTesseractModel(): Promise<void> {
  const current = shared;
  shared = undefined;
  await current?.close();
}
