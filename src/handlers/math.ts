import { PermanentError } from '../core/errors.js';
import type { HandlerDefinition } from '../worker/handler.js';
import { MAX_QUESTION_LENGTH, mathInputSchema, parseInput } from './input-schemas.js';
import { NotArithmeticError, WHAT_MATH_ANSWERS } from './math-error.js';
import { evaluateArithmetic } from './math-evaluate.js';
import { arithmeticPart, toExpression } from './math-phrase.js';

/** Input of the `math` handler. */
export interface MathInput {
  /** A question in words or an expression: "What is 50 divided by 2?", "(2+3)*4". */
  question: string;
}

/** Output of the `math` handler: `{ text: '50 divided by 2 = 25', value: 25 }`. */
export interface MathOutput {
  /** The question's arithmetic part as written, ` = `, and the result. */
  text: string;
  /** The result; a decimal string for an integer beyond Number.MAX_SAFE_INTEGER, which JSON
   * numbers cannot carry exactly ("9007199254740993 minus 1" -> "9007199254740992"). */
  value: number | string;
}

export { MAX_QUESTION_LENGTH };

/**
 * Answers an arithmetic question. Pure and synchronous (well under a millisecond for any accepted
 * input), so the handler runs it on the event loop. Throws PermanentError for bad input.
 */
export function solveMathQuestion(question: string): MathOutput {
  if (question.length > MAX_QUESTION_LENGTH) {
    throw new PermanentError(`math: question is longer than ${MAX_QUESTION_LENGTH} characters`, { field: 'input.question' });
  }
  const part = arithmeticPart(question);
  if (part === '') throw notArithmetic(new NotArithmeticError('the question has nothing to compute.'));
  let value: number | bigint;
  try {
    value = evaluateArithmetic(toExpression(part), part);
  } catch (error) {
    if (error instanceof NotArithmeticError) throw notArithmetic(error);
    if (error instanceof PermanentError) {
      throw new PermanentError(`math: ${error.message}`, { field: 'input.question', cause: error });
    }
    throw error;
  }
  if (typeof value === 'bigint') return { text: `${part} = ${value}`, value: String(value) };
  const rounded = roundNoise(value);
  return { text: `${part} = ${formatNumber(rounded)}`, value: rounded };
}

/** A question it could not read: what went wrong, then what it can answer. */
function notArithmetic(error: NotArithmeticError): PermanentError {
  const sentence = /[.?!]$/.test(error.message) ? error.message : `${error.message}.`;
  return new PermanentError(`math: ${sentence} ${WHAT_MATH_ANSWERS}`, { field: 'input.question', cause: error });
}

/** Significant digits kept in a fractional result, as a pocket calculator shows them. */
const SIGNIFICANT_DIGITS = 12;

/**
 * Drops binary floating-point noise: 0.1 + 0.2 -> 0.3, 100 - 99.9 -> 0.1. The noise of a
 * subtraction is relative to its operands, not to its (small) result, so rounding to 15 digits is
 * not enough; 12 is what calculators show. Integers are exact already and are kept as they are.
 */
function roundNoise(value: number): number {
  const rounded = Number.isInteger(value) ? value : Number(value.toPrecision(SIGNIFICANT_DIGITS));
  return Object.is(rounded, -0) ? 0 : rounded;
}

function formatNumber(value: number): string {
  return String(value);
}

/** The `math` handler: `{question}` -> `{text, value}`. */
export const mathHandler: HandlerDefinition<MathInput, MathOutput> = {
  // The worker hands handlers untrusted JSON: the input is parsed with the schema the API checks.
  handle: ({ job }) => solveMathQuestion(parseInput(mathInputSchema, job.input, 'math').question),
  timeoutMs: 5_000,
};
