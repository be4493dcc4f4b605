import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCodes, hasErrorCode } from '../../../src/core/errors.js';
import { MAX_QUESTION_LENGTH, type MathInput, mathHandler, solveMathQuestion } from '../../../src/handlers/math.js';
import { WHAT_MATH_ANSWERS } from '../../../src/handlers/math-error.js';
import { evaluateArithmetic, limitedExactMath, limitedMath } from '../../../src/handlers/math-evaluate.js';
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

  describe('integers beyond 2^53 are exact; value is then a decimal string', () => {
    const exact: Array<[question: string, text: string, value: number | string]> = [
      ['What is 9007199254740993 minus 1?', '9007199254740993 minus 1 = 9007199254740992', '9007199254740992'],
      ['What is 2 to the power of 53 plus 1?', '2 to the power of 53 plus 1 = 9007199254740993', '9007199254740993'],
      ['What is 2 to the power of 64?', '2 to the power of 64 = 18446744073709551616', '18446744073709551616'],
      [
        'What is 12345678901234567890 times 10?',
        '12345678901234567890 times 10 = 123456789012345678900',
        '123456789012345678900',
      ],
      ['What is -2^60?', '-2^60 = -1152921504606846976', '-1152921504606846976'],
      ['What is 25!?', '25! = 15511210043330985984000000', '15511210043330985984000000'],
      // Back within the safe range: a plain number again.
      ['What is 9007199254740993 - 9007199254740992?', '9007199254740993 - 9007199254740992 = 1', 1],
      ['What is 10 divided by 4?', '10 divided by 4 = 2.5', 2.5],
      ['What is the square root of 2?', 'the square root of 2 = 1.41421356237', Number(Math.SQRT2.toPrecision(12))],
      ['What is 2 ^ 0.5?', '2 ^ 0.5 = 1.41421356237', Number(Math.SQRT2.toPrecision(12))],
      ['What is 5.5!?', '5.5! = 287.885277815', 287.885277815],
    ];
    for (const [question, text, value] of exact) {
      test(`"${question}"`, () => assert.deepEqual(solveMathQuestion(question), { text, value }));
    }

    test('beyond 64 digits the result is a (rounded) number, as a double holds it', () => {
      assert.deepEqual(solveMathQuestion('2^300'), { text: '2^300 = 2.037035976334486e+90', value: 2.037035976334486e90 });
    });

    test('big results that cost too much exactly are computed in doubles and refused when infinite', () => {
      // A factorial of 10^9 or a power to 10^12 in decimals would run for minutes; in doubles
      // they are infinite at once.
      assertPermanent(() => solveMathQuestion('1000000000!'), /no finite result/);
      assertPermanent(() => solveMathQuestion('1.5 ^ 1000000000000'), /no finite result/);
      assertPermanent(() => solveMathQuestion('9^9^9'), /no finite result/);
    });
  });

  describe('number words and fractions', () => {
    const words: Array<[question: string, text: string, value: number]> = [
      ['What is a hundred plus 1?', 'a hundred plus 1 = 101', 101],
      ['What is a thousand times a million?', 'a thousand times a million = 1000000000', 1_000_000_000],
      ['What is two and a half times 2?', 'two and a half times 2 = 5', 5],
      ['What is 2 and a half times 2?', '2 and a half times 2 = 5', 5],
      ['What is one and a third times 3?', 'one and a third times 3 = 4', 4],
      ['What is three quarters of 8?', 'three quarters of 8 = 6', 6],
      ['What is a half plus a quarter?', 'a half plus a quarter = 0.75', 0.75],
      ['What is 5 halves?', '5 halves = 2.5', 2.5],
      ['What is 10 to the power of -2?', '10 to the power of -2 = 0.01', 0.01],
      ['What is 10 to the power of minus two?', '10 to the power of minus two = 0.01', 0.01],
    ];
    for (const [question, text, value] of words) {
      test(`"${question}"`, () => assert.deepEqual(solveMathQuestion(question), { text, value }));
    }
  });

  describe('a question it cannot read says what it can answer', () => {
    const unreadable: Array<[question: string, says: RegExp]> = [
      ['What is the capital of France?', /^math: "the capital of France" is not an arithmetic question\. /],
      ['Who are you?', /^math: "Who are you" is not an arithmetic question\. /],
      // mathjs: "False part of conditional expression expected"
      ['What is 3 ? 4', /^math: I could not read "3 \? 4" as a calculation\. /],
      // mathjs: "Invalid left hand side of assignment operator ="
      ['2 = 3', /^math: I could not read "2 = 3" as a calculation\. /],
      // mathjs: "Unexpected end of expression (char 4)"
      ['What is 3 plus?', /^math: I could not read "3 plus" as a calculation\. /],
      ['What is 3 and 4?', /^math: operator "and" is not allowed\. /],
      ['x = 3', /^math: an assignment is not allowed in a calculation\. /],
    ];
    for (const [question, says] of unreadable) {
      test(JSON.stringify(question), () => {
        assert.throws(
          () => solveMathQuestion(question),
          (error: unknown) => {
            assert.ok(hasErrorCode(error, ErrorCodes.permanent));
            const { message } = error as Error;
            assert.match(message, says);
            assert.ok(message.endsWith(WHAT_MATH_ANSWERS), message);
            assert.doesNotMatch(message, /expected|Unexpected|left hand side|char \d|unknown word/);
            assert.equal((error as { field?: string }).field, 'input.question');
            return true;
          },
        );
      });
    }

    test('the examples it gives are answered', () => {
      for (const example of WHAT_MATH_ANSWERS.match(/"[^"]+"/g) ?? []) {
        assert.doesNotThrow(() => solveMathQuestion(JSON.parse(example) as string), example);
      }
      assert.equal(WHAT_MATH_ANSWERS.match(/"[^"]+"/g)?.length, 3);
    });

    test('arithmetic without a finite answer is told so, without the reading help', () => {
      assertPermanent(
        () => solveMathQuestion('What is 7 divided by 0?'),
        /^math: "7 divided by 0" has no finite result \(Infinity\)$/,
      );
    });
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
      ['What is banana?', /"banana" is not an arithmetic question/],
      ['What is 3 plus banana?', /I do not know what "banana" means here/],
      ['What is 3 and 4?', /not allowed/],
      ['What is 7 divided by 0?', /no finite result/],
      ['What is 2^1024?', /no finite result/],
      ['What is sqrt(-1)?', /real-number result/],
      ['What is 3 plus?', /I could not read "3 plus" as a calculation/],
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
      for (const math of [limitedMath, limitedExactMath]) {
        for (const call of [
          () => math.import({ hack: () => 1 }, { override: true }),
          () => math.createUnit('foo'),
          () => math.evaluate('1 + 1'),
          () => math.parse('1 + 1'),
          () => math.compile('1 + 1'),
          () => math.simplify('x + x'),
          () => math.derivative('x^2', 'x'),
        ]) {
          assertPermanent(call, /is disabled/);
        }
      }
    });

    test('evaluateArithmetic computes plain expressions and refuses the rest', () => {
      assert.equal(evaluateArithmetic('2 ^ 10'), 1024);
      assert.equal(evaluateArithmetic('9007199254740993 - 1'), 9007199254740992n);
      assert.equal(evaluateArithmetic('0.1 + 0.2'), 0.3);
      assert.equal(evaluateArithmetic('floor(7 / 2) + abs(-1)'), 4);
      assertPermanent(() => evaluateArithmetic('sum(1, 2)'), /sum is not allowed/);
      assertPermanent(() => evaluateArithmetic('{a: 1}'), /an object is not allowed/);
      assertPermanent(() => evaluateArithmetic('1; 2'), /more than one expression/);
      assertPermanent(() => evaluateArithmetic('true ? 1 : 2'), /not allowed/);
      assertPermanent(() => evaluateArithmetic(`${'1+'.repeat(600)}1`), /longer than/);
    });
  });
});
