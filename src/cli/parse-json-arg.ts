import { readFileSync } from 'node:fs';
import { ValidationError } from '../core/errors.js';

/** A JSON command-line argument: inline JSON, `@path/to/file.json`, or `-` for standard input. */
export function parseJsonArg(text: string, name: string): unknown {
  const source = text === '-' ? readFileSync(0, 'utf8') : text.startsWith('@') ? readFileSync(text.slice(1), 'utf8') : text;
  try {
    return JSON.parse(source);
  } catch (error) {
    throw new ValidationError(`${name} is not valid JSON: ${(error as Error).message}`, name);
  }
}
