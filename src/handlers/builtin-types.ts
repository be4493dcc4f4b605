/**
 * The job types the built-in handlers serve. Its own file, importing nothing, so that the API
 * server can accept these types without loading mathjs or starting threads.
 */
export const BUILTIN_HANDLER_TYPES = ['math', 'factorial', 'noop', 'sleep'] as const;

export type BuiltinHandlerType = (typeof BUILTIN_HANDLER_TYPES)[number];

export { MODEL_HANDLER_TYPES } from './model-types.js';
