import { threadId } from 'node:worker_threads';
import { describeError } from './model-errors.js';
import { analyseText, loadWink, type NlpAnalysis, type NlpOptions, winkLoadsHere } from './wink-analyse.js';

/**
 * The piscina task of the NLP thread pool (see wink-model.ts). Errors do not keep their fields
 * across the thread boundary, so a failed model load is answered as data, not thrown.
 */

export interface WinkTask {
  text: string;
  options: NlpOptions;
}

export type WinkTaskResult =
  | { ok: true; analysis: NlpAnalysis; threadId: number; modelLoads: number }
  | { ok: false; loadError: string; threadId: number; modelLoads: number };

export default async function winkTask(task: WinkTask): Promise<WinkTaskResult> {
  try {
    await loadWink();
  } catch (error) {
    return { ok: false, loadError: describeError(error), threadId, modelLoads: winkLoadsHere() };
  }
  const analysis = await analyseText(task.text, task.options);
  return { ok: true, analysis, threadId, modelLoads: winkLoadsHere() };
}
