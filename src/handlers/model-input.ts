import { PermanentError } from '../core/errors.js';

/**
 * Input checks shared by the model handlers. Every failure is a PermanentError naming the field:
 * the same input would fail the same way on every attempt.
 */

/** The job's input as an object, or a PermanentError on `input`. */
export function inputObject(input: unknown, type: string): Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new PermanentError(`${type}: input must be an object`, { field: 'input' });
  }
  return input as Record<string, unknown>;
}

/** `input.text`: a non-blank string of at most `maxLength` characters. */
export function readText(input: unknown, type: string, maxLength: number): string {
  const text = inputObject(input, type).text;
  if (typeof text !== 'string') {
    throw new PermanentError(`${type}: input.text must be a string`, { field: 'input.text' });
  }
  if (text.trim() === '') throw new PermanentError(`${type}: input.text is empty`, { field: 'input.text' });
  if (text.length > maxLength) {
    throw new PermanentError(`${type}: input.text has ${text.length} characters, at most ${maxLength} are accepted`, {
      field: 'input.text',
    });
  }
  return text;
}

/** An optional boolean flag of the input (`input.tokens`). */
export function readFlag(input: Record<string, unknown>, name: string, type: string): boolean {
  const value = input[name];
  if (value === undefined) return false;
  if (typeof value !== 'boolean')
    throw new PermanentError(`${type}: input.${name} must be a boolean`, { field: `input.${name}` });
  return value;
}
