import { PermanentError } from '../core/errors.js';

/**
 * The question is not arithmetic that the `math` handler can read (words it does not know, a
 * sentence that is not a calculation, syntax it cannot parse), as opposed to arithmetic that has no
 * real, finite answer. Still a permanent failure: the message tells the user what it can answer.
 */
export class NotArithmeticError extends PermanentError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'NotArithmeticError';
  }
}

/** What the handler says after a question it could not read. */
export const WHAT_MATH_ANSWERS =
  'I can only answer arithmetic questions, such as "What is 50 divided by 2?", ' +
  '"What is the square root of 16 plus 2?" or "What is two and a half times 4?".';
