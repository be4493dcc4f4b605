import type { HandlerMap } from '../worker/handler.js';
import type { BuiltinHandlerType } from './builtin-types.js';
import { closeFactorialPool, createFactorialHandler } from './factorial.js';
import { mathHandler } from './math.js';
import { closeModelHandlers, modelHandlers } from './model-handlers.js';
import { noopHandler } from './noop.js';
import { sleepHandler } from './sleep.js';

export { BUILTIN_HANDLER_TYPES, type BuiltinHandlerType } from './builtin-types.js';

export interface BuiltinHandlerOptions {
  /** Most threads of each CPU pool (factorial, NLP): SLUICE_CPU_THREADS, default cores - 1. */
  cpuThreads?: number;
}

/**
 * The built-in handlers by job type: `math`, `factorial`, `noop`, `sleep`, and the offline CPU
 * models `ocr`, `nlp`, `detect-language` (each model loads on its first job). A fresh map each
 * call, so a caller may add or replace entries without affecting others.
 */
export function builtinHandlers(options: BuiltinHandlerOptions = {}): HandlerMap {
  const handlers: Record<BuiltinHandlerType, HandlerMap[string]> = {
    math: mathHandler,
    factorial: createFactorialHandler(options.cpuThreads),
    noop: noopHandler,
    sleep: sleepHandler,
  };
  return { ...handlers, ...modelHandlers(options) };
}

/**
 * Releases what the built-in handlers hold (the factorial thread pool, loaded models), so that the
 * process can exit. Call after the workers have stopped; safe to call more than once.
 */
export async function closeBuiltinHandlers(): Promise<void> {
  await Promise.all([closeFactorialPool(), closeModelHandlers()]);
}
