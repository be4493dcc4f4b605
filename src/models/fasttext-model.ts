import { getLIDModel, type IdentifyLangResult } from 'fasttext.wasm.js';
import { modelLoadError } from './model-errors.js';

/**
 * Language identification with fastText's `lid.176` model (compressed `.ftz`, ~900 KB, 176
 * languages) as bundled in the npm package `fasttext.wasm.js`, run by fastText compiled to
 * WebAssembly. The model and the WASM file are read from the package directory (file: URLs), never
 * downloaded. Loaded once per process; a prediction of 100 000 characters takes ~10 ms, so it runs
 * on the calling thread.
 */

export interface LanguageCandidate {
  /** ISO 639-1 code when the language has one (`en`), else ISO 639-3 (`yue`). */
  language: string;
  /** ISO 639-3 code. */
  iso6393: string;
  /** English name (`English`). */
  name: string;
  /** The model's probability, 0..1. */
  confidence: number;
}

type LidModel = Awaited<ReturnType<typeof getLIDModel>>;

export interface FastTextModelOptions {
  /** A file: URL of a `.ftz`/`.bin` model; the package's bundled `lid.176.ftz` by default. */
  modelPath?: string;
}

/** The fastText language-identification model. */
export class FastTextModel {
  readonly #options: FastTextModelOptions;
  #loaded: Promise<LidModel> | undefined;
  #loads = 0;

  constructor(options: FastTextModelOptions = {}) {
    this.#options = options;
  }

  /** How many times the model was loaded (read and parsed) by this instance. */
  get loads(): number {
    return this.#loads;
  }

  #load(): Promise<LidModel> {
    this.#loaded ??= (async () => {
      const model = await getLIDModel(this.#options.modelPath === undefined ? {} : { modelPath: this.#options.modelPath });
      await model.load();
      this.#loads += 1;
      return model;
    })();
    // A failed load is not cached: the next job tries again (and fails its own job if it fails).
    this.#loaded.catch(() => {
      this.#loaded = undefined;
    });
    return this.#loaded;
  }

  /**
   * The `top` most likely languages of `text`, most likely first. fastText predicts one line, so
   * line breaks are read as spaces. Rejects with a PermanentError when the model cannot load.
   */
  async identify(text: string, top = 3): Promise<LanguageCandidate[]> {
    let model: LidModel;
    try {
      model = await this.#load();
    } catch (error) {
      throw modelLoadError('Language identification', error);
    }
    const results: IdentifyLangResult[] = await model.identify(text.replace(/\s+/g, ' '), top);
    // The package maps fastText's labels to ISO codes with a table; a label missing from it would
    // leave the codes undefined: answer `und` (undetermined) rather than nothing.
    return results.map((result: Partial<IdentifyLangResult>) => ({
      language: result.alpha2 ?? result.alpha3 ?? 'und',
      iso6393: result.alpha3 ?? 'und',
      name: result.refName ?? 'Undetermined',
      confidence: Math.round((result.possibility ?? 0) * 10_000) / 10_000,
    }));
  }
}

let shared: FastTextModel | undefined;

/** The process's language-identification model, created on first use (loaded on first call). */
export function getFastTextModel(): FastTextModel {
  shared ??= new FastTextModel();
  return shared;
}

/**
 * Forgets the process's model. fastText's WASM instance holds no thread or handle that would keep
 * the process alive; dropping the reference lets it be collected. Safe to call more than once.
 */
export async function closeFastTextModel(): Promise<void> {
  shared = undefined;
}
