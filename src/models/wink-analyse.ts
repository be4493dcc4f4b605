import type { WinkMethods } from 'wink-nlp';

/**
 * Text analysis with wink-nlp and its English lite model (`wink-eng-lite-web-model`, shipped in
 * npm, ~3 MB, nothing downloaded). Runs inside the NLP worker thread (see wink-model.ts); loads the
 * model once per thread (per process when called directly).
 *
 * What the lite model gives: tokens, sentences, parts of speech (Universal POS tags), sentiment
 * (-1..1, a lexicon with negation handling) and rule-based entities: DATE, TIME, DURATION, MONEY,
 * PERCENT, CARDINAL, ORDINAL, EMAIL, URL, HASHTAG, MENTION, EMOJI, EMOTICON. It has no statistical
 * named-entity model: no PERSON, ORG or LOCATION.
 */

/** One entity found in the text, `type` as wink names it (`EMAIL`, `URL`, `DATE`, `MONEY`, ...). */
export interface NlpEntity {
  text: string;
  type: string;
}

/** One token with its part of speech (Universal POS tag) and wink's token type (`word`, `number`, ...). */
export interface NlpToken {
  text: string;
  pos: string;
  type: string;
}

export interface NlpAnalysis {
  entities: NlpEntity[];
  /** Sentiment of the whole text, -1 (negative) .. 1 (positive). */
  sentiment: number;
  /** `positive` above 0.05, `negative` below -0.05, else `neutral`. */
  sentimentLabel: 'positive' | 'negative' | 'neutral';
  sentences: number;
  tokenCount: number;
  /** Present when asked for: tokens with parts of speech (large for long texts). */
  tokens?: NlpToken[];
}

export interface NlpOptions {
  tokens?: boolean;
}

let loaded: Promise<WinkMethods> | undefined;
let loads = 0;

/** How many times this thread (or process) loaded the wink model. */
export function winkLoadsHere(): number {
  return loads;
}

/** The wink-nlp instance of this thread, loaded on first call. A failed load is retried next call. */
export function loadWink(): Promise<WinkMethods> {
  loaded ??= (async () => {
    const [{ default: winkNLP }, { default: model }] = await Promise.all([import('wink-nlp'), import('wink-eng-lite-web-model')]);
    const nlp = winkNLP(model);
    loads += 1;
    return nlp;
  })();
  loaded.catch(() => {
    loaded = undefined;
  });
  return loaded;
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

/** Analyses `text` (the caller bounds its length). */
export async function analyseText(text: string, options: NlpOptions = {}): Promise<NlpAnalysis> {
  const nlp = await loadWink();
  const { its } = nlp;
  const doc = nlp.readDoc(text);
  const entities = doc
    .entities()
    .out(its.detail)
    .map((entity) => {
      const detail = entity as { value: string; type: string };
      return { text: detail.value, type: detail.type };
    });
  const sentiment = round(Number(doc.out(its.sentiment)) || 0);
  const analysis: NlpAnalysis = {
    entities,
    sentiment,
    sentimentLabel: sentiment > 0.05 ? 'positive' : sentiment < -0.05 ? 'negative' : 'neutral',
    sentences: doc.sentences().length(),
    tokenCount: doc.tokens().length(),
  };
  if (options.tokens) {
    const words = doc.tokens().out();
    const pos = doc.tokens().out(its.pos);
    const types = doc.tokens().out(its.type);
    analysis.tokens = words.map((word, index) => ({ text: word, pos: pos[index] ?? 'X', type: types[index] ?? 'word' }));
  }
  return analysis;
}
