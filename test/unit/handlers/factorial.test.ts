import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { ErrorCodes, hasErrorCode } from '../../../src/core/errors.js';
import {
  closeFactorialPool,
  computeFactorial,
  createFactorialHandler,
  FACTORIAL_MAX_N,
  type FactorialInput,
  factorialPoolStats,
} from '../../../src/handlers/factorial.js';
import { factorialBigInt } from '../../../src/handlers/factorial-thread.js';
import { handlerContext } from './handler-context.js';

/** n! by the plain loop, as an independent reference for the product tree. */
function naiveFactorial(n: number): bigint {
  let product = 1n;
  for (let i = 2n; i <= BigInt(n); i += 1n) product *= i;
  return product;
}

/** The first `count` digits of n!, from log10(n!) summed in floating point (Kahan summation):
 * independent of BigInt, and accurate to about 9 digits for n = 150000. */
function leadingDigits(n: number, count: number): string {
  let sum = 0;
  let compensation = 0;
  for (let i = 2; i <= n; i += 1) {
    const y = Math.log10(i) - compensation;
    const t = sum + y;
    compensation = t - sum - y;
    sum = t;
  }
  const mantissa = 10 ** (sum - Math.floor(sum));
  return String(Math.floor(mantissa * 10 ** (count - 1)));
}

/** Trailing zeros of n! (Legendre's formula): an independent check of a huge result. */
function trailingZeros(n: number): number {
  let zeros = 0;
  for (let p = 5; p <= n; p *= 5) zeros += Math.floor(n / p);
  return zeros;
}

const factorialHandler = createFactorialHandler();

describe('factorial handler', () => {
  after(() => closeFactorialPool());

  test('small values are exact', async () => {
    const expected: Array<[number, string]> = [
      [0, '1'],
      [1, '1'],
      [2, '2'],
      [5, '120'],
      [20, '2432902008176640000'],
      [25, '15511210043330985984000000'],
    ];
    for (const [n, value] of expected) {
      assert.deepEqual(await computeFactorial(n), { n, digits: value.length, value });
    }
  });

  test('the product tree agrees with the plain loop', () => {
    for (const n of [31, 32, 33, 64, 65, 1000, 2345]) assert.equal(factorialBigInt(n), naiveFactorial(n), `n = ${n}`);
  });

  test('runs through the handler interface', async () => {
    const output = await factorialHandler.handle(handlerContext<FactorialInput>('factorial', { n: 10 }));
    assert.deepEqual(output, { n: 10, digits: 7, value: '3628800' });
  });

  test('150000! has 711273 digits, and the event loop keeps ticking while it is computed', async () => {
    await computeFactorial(1); // start the thread first: the measure is about the computation
    let last = performance.now();
    let maxGapMs = 0;
    let ticks = 0;
    const interval = setInterval(() => {
      const now = performance.now();
      maxGapMs = Math.max(maxGapMs, now - last);
      last = now;
      ticks += 1;
    }, 10);
    try {
      const result = await computeFactorial(150_000);
      assert.equal(result.n, 150_000);
      assert.equal(result.digits, 711_273);
      assert.equal(result.value.length, 711_273);
      assert.match(result.value, /^[1-9]\d+$/);
      assert.equal(result.value.length - result.value.replace(/0+$/, '').length, trailingZeros(150_000));
      assert.equal(result.value.slice(0, 6), leadingDigits(150_000, 6));
    } finally {
      clearInterval(interval);
    }
    assert.ok(ticks > 0, 'the interval never fired');
    assert.ok(maxGapMs < 200, `the event loop stalled for ${maxGapMs.toFixed(0)} ms`);
  });

  test('an abort terminates the thread and rejects with the signal reason', async () => {
    await computeFactorial(1);
    const controller = new AbortController();
    const reason = new Error('job cancelled');
    const running = computeFactorial(FACTORIAL_MAX_N, controller.signal);
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.ok(factorialPoolStats().threads >= 1);
    const threadsBefore = factorialPoolStats().threads;
    controller.abort(reason);
    await assert.rejects(running, (error) => error === reason);
    assert.equal(factorialPoolStats().threads, threadsBefore - 1, 'the thread running the task was not terminated');
    // The pool recovers: the next job gets a fresh thread.
    assert.equal((await computeFactorial(6)).value, '720');
  });

  test('an already aborted signal rejects without starting', async () => {
    const controller = new AbortController();
    const reason = new Error('shutting down');
    controller.abort(reason);
    await assert.rejects(computeFactorial(100, controller.signal), (error) => error === reason);
  });

  for (const input of [
    { n: -1 },
    { n: 1.5 },
    { n: FACTORIAL_MAX_N + 1 },
    { n: '10' },
    { n: null },
    {},
    null,
    7,
    { n: Number.NaN },
  ]) {
    test(`rejects input ${JSON.stringify(input)} with PermanentError`, async () => {
      await assert.rejects(
        async () => factorialHandler.handle(handlerContext<FactorialInput>('factorial', input)),
        (error) => hasErrorCode(error, ErrorCodes.permanent) && /integer from 0 to 200000/.test((error as Error).message),
      );
    });
  }

  test('the pool runs at most the threads the handler was created with', async () => {
    const one = createFactorialHandler(1);
    assert.equal(one.concurrency, 1);
    assert.equal(factorialPoolStats().maxThreads, 1);
    const running = [20_000, 20_001, 20_002].map((n) => computeFactorial(n));
    const whileRunning = factorialPoolStats();
    await Promise.all(running);
    assert.ok(whileRunning.threads <= 1, `${whileRunning.threads} threads`);
    assert.ok(whileRunning.queued >= 2, `${whileRunning.queued} queued`);
    assert.equal(factorialPoolStats().threads, 1);

    const two = createFactorialHandler(2);
    assert.equal(two.concurrency, 2);
    assert.equal(factorialPoolStats().maxThreads, 2);
    const both = [60_000, 60_001].map((n) => computeFactorial(n));
    const whileBoth = factorialPoolStats();
    const [a, b] = await Promise.all(both);
    assert.ok(whileBoth.threads <= 2, `${whileBoth.threads} threads`);
    assert.equal(factorialPoolStats().threads, 2, 'two tasks at once on a pool of two ran on one thread');
    assert.equal(b!.value, factorialBigInt(60_001).toString());
    assert.equal(a!.value, factorialBigInt(60_000).toString());
    createFactorialHandler();
  });

  test('a pool size below one is refused', () => {
    for (const threads of [0, -1, 1.5]) assert.throws(() => createFactorialHandler(threads), RangeError);
  });

  test('closing is idempotent and a later job opens a new pool', async () => {
    await closeFactorialPool();
    await closeFactorialPool();
    assert.equal(factorialPoolStats().threads, 0);
    assert.equal((await computeFactorial(3)).value, '6');
  });
});
