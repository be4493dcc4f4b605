import { ValidationError } from './errors.js';

/**
 * Bounds on the free-form JSON a client sends (a job's input and metadata, a whole request body).
 * They are checked before anything expensive (schema parsing, serialising, storing) and before
 * requests share a write, so one request cannot fail or stall another: a body nested thousands of
 * levels deep fails a database's JSON functions, and tens of thousands of keys cost seconds of
 * schema work on the event loop.
 */
export const JSON_LIMITS = {
  /** Nesting depth of arrays and objects (the value itself is depth 0). */
  maxDepth: 64,
  /** Keys of one object. */
  maxObjectKeys: 1000,
  /** Array elements and object entries, all levels together. */
  maxNodes: 100_000,
} as const;

/** In unicode mode a paired surrogate is one code point, so only a lone one is category Cs. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * What a stored or key-like string must not contain: NUL (PostgreSQL text and jsonb cannot hold it)
 * and lone UTF-16 surrogates (they have no UTF-8 form, so two different strings would be stored
 * as the same bytes and collide as keys). Returns the reason, or undefined when the string is fine.
 */
export function badStringReason(value: string): string | undefined {
  if (value.includes('\u0000')) return 'must not contain NUL (\\u0000)';
  if (LONE_SURROGATE.test(value)) return 'must not contain a lone UTF-16 surrogate';
  return undefined;
}

/**
 * Checks that `value` is plain JSON within JSON_LIMITS: no NUL or lone surrogate in a string or
 * key, no non-finite number (JSON has none: `1e309` parses to Infinity and would be stored as
 * null), no value JSON cannot carry. Throws a ValidationError naming the offending path. Walks
 * without recursion, so a deep value cannot overflow the stack.
 */
export function checkJsonValue(value: unknown, field: string, limits: { maxDepth?: number } = {}): void {
  const maxDepth = limits.maxDepth ?? JSON_LIMITS.maxDepth;
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value, path: field, depth: 0 }];
  let nodes = 0;
  while (stack.length > 0) {
    const item = stack.pop()!;
    const v = item.value;
    if (v === null || typeof v === 'boolean') continue;
    if (typeof v === 'string') {
      const reason = badStringReason(v);
      if (reason) throw fault(item.path, reason);
      continue;
    }
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw fault(item.path, 'must be a finite number');
      continue;
    }
    if (typeof v !== 'object') {
      // undefined is allowed where JSON drops it (an object's property); elsewhere it is not JSON.
      if (v === undefined && item.depth > 0) continue;
      throw fault(item.path, `must be a JSON value (not ${typeof v})`);
    }
    if (item.depth >= maxDepth) {
      throw fault(item.path, `nested deeper than ${maxDepth} levels`);
    }
    if (Array.isArray(v)) {
      nodes += v.length;
      if (nodes > JSON_LIMITS.maxNodes) throw tooMany(field);
      for (let i = v.length - 1; i >= 0; i--)
        stack.push({ value: v[i], path: join(item.path, String(i)), depth: item.depth + 1 });
      continue;
    }
    const keys = Object.keys(v);
    if (keys.length > JSON_LIMITS.maxObjectKeys) {
      throw fault(item.path, `more than ${JSON_LIMITS.maxObjectKeys} keys in one object`);
    }
    nodes += keys.length;
    if (nodes > JSON_LIMITS.maxNodes) throw tooMany(field);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]!;
      const path = join(item.path, key);
      const reason = badStringReason(key);
      if (reason) throw fault(item.path, `a key ${reason}`);
      stack.push({ value: (v as Record<string, unknown>)[key], path, depth: item.depth + 1 });
    }
  }
}

/** Longest JSON text that cannot break JSON_LIMITS' key and value counts (every entry takes 2+ characters). */
const SMALL_TEXT = 2 * JSON_LIMITS.maxObjectKeys;

/**
 * Serialises `value` and checks it as checkJsonValue does, walking the value only when its text
 * cannot prove it fine. Most job inputs are small: their JSON has no `\u` escape (JSON.stringify
 * escapes NUL and lone surrogates, and only those would fail), no `null` (a non-finite number
 * becomes null), no more brackets than the depth bound and too few characters to exceed the counts.
 * The serialisation is needed anyway; the walk costs about as much again, per job, on the submit path.
 */
export function toBoundedJson(value: unknown, field: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    // Too deep for the serialiser, a bigint, a cycle: the walk names what is wrong.
  }
  if (text === undefined || !provablyWithinBounds(text)) checkJsonValue(value, field);
  if (text === undefined) throw fault(field, 'must be a JSON value');
  return text;
}

function provablyWithinBounds(text: string): boolean {
  if (text.length > SMALL_TEXT || text.includes('\\u') || text.includes('null')) return false;
  let brackets = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c === 0x7b || c === 0x5b) && ++brackets > JSON_LIMITS.maxDepth) return false;
  }
  return true;
}

function tooMany(field: string): ValidationError {
  return fault(field, `more than ${JSON_LIMITS.maxNodes} values in all`);
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** The error for a fault at `path` ('' is the whole request body, which has no field name). */
function fault(path: string, reason: string): ValidationError {
  return path === '' ? new ValidationError(`request body: ${reason}`) : new ValidationError(`${path}: ${reason}`, path);
}
