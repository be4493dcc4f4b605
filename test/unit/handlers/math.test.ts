import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCodes, hasErrorCode } from '../../../src/core/errors.js';
import { MAX_QUESTION_LENGTH, type MathInput, mathHandler, solveMathQuestion } from '../../../src/handlers/math.js';
import { evaluateArithmetic, limitedMath } from '../../../src/handlers/math-evaluate.js';
import { handlerContext } from './handler-context.js';

/** Asserts that `fn` throws a PermanentError (by code, as the worker recognises it) whose
 * message matches `message`. */
function assertPermanent(fn: () => unknown, message?: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(hasErrorCode(error, ErrorCodes.permanent), `expected ${ErrorCodes.permanent}, got ${String(error)}`);
    if (message) assert.match((error as Error).message, message);
    return true;
  });
}

describe('math handler', () => {
  test('answers the seed question exactly', async () => {
    const output = await mathHandler.handle(handlerContext<MathInput>('math', { question: 'What is 50 divided by 2?' }));
    assert.deepEqual(output, { text: '50 divided by 2 = 25', value: 25 });
  });

  const cases: Array<[question: string, text: string, value: number]> = [
    ['What is 3 plus 4?', '3 plus 4 = 7', 7],
    ['what is 10 minus 3', '10 minus 3 = 7', 7],
    ['What is 6 times 7?', '6 times 7 = 42', 42],
    ['What is 6 multiplied by 7?', '6 multiplied by 7 = 42', 42],
    ['What is 6 x 7?', '6 x 7 = 42', 42],
    ['What is 10 over 4?', '10 over 4 = 2.5', 2.5],
    ['What is 2 to the power of 10?', '2 to the power of 10 = 1024', 1024],
    ['What is 2 raised to the 10th power?', '2 raised to the 10th power = 1024', 1024],
    ['What is 5 squared?', '5 squared = 25', 25],
    ['What is 3 cubed?', '3 cubed = 27', 27],
    ['What is the square root of 16?', 'the square root of 16 = 4', 4],
    ['What is the square root of 16 plus 9?', 'the square root of 16 plus 9 = 13', 13],
    ['What is the square root of (16 + 9)?', 'the square root of (16 + 9) = 5', 5],
    ['What is the cube root of 27?', 'the cube root of 27 = 3', 3],
    ['What is 20 percent of 50?', '20 percent of 50 = 10', 10],
    ['What is 20% of 50?', '20% of 50 = 10', 10],
    ['What is 10 modulo 3?', '10 modulo 3 = 1', 1],
    ['What is 10 mod 3?', '10 mod 3 = 1', 1],
    ['What is the remainder when 10 is divided by 3?', 'the remainder when 10 is divided by 3 = 1', 1],
    ['Add 3 and 4', 'Add 3 and 4 = 7', 7],
    ['Subtract 3 from 10.', 'Subtract 3 from 10 = 7', 7],
    ['Multiply 6 by 7', 'Multiply 6 by 7 = 42', 42],
    ['Divide 10 by 4', 'Divide 10 by 4 = 2.5', 2.5],
    ['What is the sum of 3 and 4?', 'the sum of 3 and 4 = 7', 7],
    ['What is the product of 6 and 7?', 'the product of 6 and 7 = 42', 42],
    ['What is the difference between 10 and 3?', 'the difference between 10 and 3 = 7', 7],
    ['What is five plus three?', 'five plus three = 8', 8],
    ['What is one hundred and five minus twenty-five?', 'one hundred and five minus twenty-five = 80', 80],
    ['What is 1,000 times 3?', '1,000 times 3 = 3000', 3000],
    ['What is negative 5 plus 3?', 'negative 5 plus 3 = -2', -2],
    ['What is 5!?', '5! = 120', 120],
    ['How much is 2 ** 8?', '2 ** 8 = 256', 256],
    ['Calculate 8 ÷ 2', '8 ÷ 2 = 4', 4],
    ['(2+3)*4', '(2+3)*4 = 20', 20],
    ['2 + 3 * 4', '2 + 3 * 4 = 14', 14],
    ['sqrt(2)^2', 'sqrt(2)^2 = 2', 2],
    ['max(1, 7, 3)', 'max(1, 7, 3) = 7', 7],
    ['cos(pi)', 'cos(pi) = -1', -1],
    ['What is 12345678 * 87654321?', '12345678 * 87654321 = 1082152022374638', 1082152022374638],
  ];
  for (const [question, text, value] of cases) {
    test(`"${question}"`, () => {
      assert.deepEqual(solveMathQuestion(question), { text, value });
    });
  }

  test('rounds floating-point noise', () => {
    assert.deepEqual(solveMathQuestion('What is 0.1 + 0.2?'), { text: '0.1 + 0.2 = 0.3', value: 0.3 });
    assert.deepEqual(solveMathQuestion('What is 100 - 99.9?'), { text: '100 - 99.9 = 0.1', value: 0.1 });
    assert.equal(solveMathQuestion('What is 1/3?').value, 0.333333333333);
  });

  describe('rejects with PermanentError (retrying cannot help)', () => {
    const rejected: Array<[question: string, message: RegExp]> = [
      ['import({}, {override: true})', /import is not allowed/],
      ['createUnit("foo")', /createUnit is not allowed/],
      ['evaluate("1")', /evaluate is not allowed/],
      ['parse("1")', /parse is not allowed/],
      ['ones(1e5, 1e5)', /ones is not allowed/],
      ['zeros(1e5, 1e5)', /zeros is not allowed/],
      ['range(1, 1e9)', /range is not allowed/],
      ['1:1e9', /a range is not allowed/],
      ['[1, 2, 3]', /matrix or list is not allowed/],
      ['x = 3', /assignment is not allowed/],
      ['f(x) = x', /assignment is not allowed/],
      ['"abc"', /only numbers are allowed/],
      ['5 cm to inch', /not allowed|unknown/],
      ['3 > 2', /not allowed/],
      ['What is banana?', /unknown word or symbol "banana"/],
      ['What is 3 and 4?', /not allowed/],
      ['What is 7 divided by 0?', /no finite result/],
      ['What is 2^1024?', /no finite result/],
      ['What is sqrt(-1)?', /real-number result/],
      ['What is 3 plus?', /could not understand/],
      ['What is the square root of?', /needs a number/],
      ['What is?', /nothing to compute/],
      ['', /nothing to compute/],
    ];
    for (const [question, message] of rejected) {
      test(`${JSON.stringify(question)}`, () => assertPermanent(() => solveMathQuestion(question), message));
    }

    test('an over-long question, before any parsing', () => {
      const question = `${'1+'.repeat(MAX_QUESTION_LENGTH)}1`;
      assertPermanent(() => solveMathQuestion(question), /longer than 500 characters/);
    });

    test('a question at the length limit is still answered quickly', () => {
      const question = `${'1+'.repeat(249)}10`;
      assert.equal(question.length, MAX_QUESTION_LENGTH);
      const started = performance.now();
      assert.equal(solveMathQuestion(question).value, 259);
      assert.ok(performance.now() - started < 1000);
    });

    test('deeply nested parentheses', () => {
      const depth = 240;
      assert.equal(solveMathQuestion(`${'('.repeat(depth)}2${')'.repeat(depth)}`).value, 2);
    });

    for (const input of [
      undefined,
      null,
      'What is 1 plus 1?',
      42,
      {},
      { question: 42 },
      { question: null },
      { question: ['1+1'] },
    ]) {
      test(`job input ${JSON.stringify(input) ?? 'undefined'}`, () => {
        assertPermanent(() => mathHandler.handle(handlerContext<MathInput>('math', input)), /string "question"/);
      });
    }

    test('names the field in the error', () => {
      assert.throws(
        () => solveMathQuestion('What is banana?'),
        (error: unknown) => (error as { field?: string }).field === 'input.question',
      );
    });
  });

  describe('the limited mathjs instance', () => {
    test('functions that parse, compile or extend are unreachable even when called directly', () => {
      for (const call of [
        () => limitedMath.import({ hack: () => 1 }, { override: true }),
        () => limitedMath.createUnit('foo'),
        () => limitedMath.evaluate('1 + 1'),
        () => limitedMath.parse('1 + 1'),
        () => limitedMath.compile('1 + 1'),
        () => limitedMath.simplify('x + x'),
        () => limitedMath.derivative('x^2', 'x'),
      ]) {
        assertPermanent(call, /is disabled/);
      }
    });

    test('evaluateArithmetic computes plain expressions and refuses the rest', () => {
      assert.equal(evaluateArithmetic('2 ^ 10'), 1024);
      assert.equal(evaluateArithmetic('floor(7 / 2) + abs(-1)'), 4);
      assertPermanent(() => evaluateArithmetic('sum(1, 2)'), /sum is not allowed/);
      assertPermanent(() => evaluateArithmetic('{a: 1}'), /an object is not allowed/);
      assertPermanent(() => evaluateArithmetic('1; 2'), /more than one expression/);
      assertPermanent(() => evaluateArithmetic('true ? 1 : 2'), /not allowed/);
      assertPermanent(() => evaluateArithmetic(`${'1+'.repeat(600)}1`), /longer than/);
    });
  });
});
