import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCodes, hasErrorCode } from '../../../src/core/errors.js';
import { SLEEP_MAX_MS, type SleepInput, sleep, sleepHandler } from '../../../src/handlers/sleep.js';
import { handlerContext } from './handler-context.js';

describe('sleep handler', () => {
  test('waits about ms and returns it', async () => {
    const started = performance.now();
    const output = await sleepHandler.handle(handlerContext<SleepInput>('sleep', { ms: 50 }));
    assert.deepEqual(output, { sleptMs: 50 });
    assert.ok(performance.now() - started >= 45);
  });

  test('ms 0 resolves at once', async () => {
    assert.deepEqual(await sleepHandler.handle(handlerContext<SleepInput>('sleep', { ms: 0 })), { sleptMs: 0 });
  });

  test('an abort ends the sleep at once with the signal reason', async () => {
    const controller = new AbortController();
    const reason = new Error('timed out');
    const started = performance.now();
    const running = Promise.resolve(sleepHandler.handle(handlerContext<SleepInput>('sleep', { ms: 60_000 }, controller.signal)));
    setTimeout(() => controller.abort(reason), 20);
    await assert.rejects(running, (error) => error === reason);
    assert.ok(performance.now() - started < 5_000);
  });

  test('an already aborted signal rejects without waiting', async () => {
    const controller = new AbortController();
    controller.abort(new Error('gone'));
    await assert.rejects(sleep(60_000, controller.signal), /gone/);
  });

  test('reports progress on a long sleep, never more than once a second', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
    const reports: number[] = [];
    const done = sleep(20_000, undefined, (percent) => reports.push(percent));
    t.mock.timers.tick(20_000);
    await done;
    assert.deepEqual(reports, [10, 20, 30, 40, 50, 60, 70, 80, 90]);
  });

  test('progress on a medium sleep is at most once a second', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
    const reports: number[] = [];
    const done = sleep(3_500, undefined, (percent) => reports.push(percent));
    t.mock.timers.tick(3_500);
    await done;
    assert.deepEqual(reports, [29, 57, 86]);
  });

  test('a short sleep reports no progress', async () => {
    const context = handlerContext<SleepInput>('sleep', { ms: 30 });
    await sleepHandler.handle(context);
    assert.deepEqual(context.reports, []);
  });

  for (const [input, field] of [
    [{ ms: -1 }, 'input.ms'],
    [{ ms: 1.5 }, 'input.ms'],
    [{ ms: SLEEP_MAX_MS + 1 }, 'input.ms'],
    [{ ms: '100' }, 'input.ms'],
    [{}, 'input.ms'],
    [null, 'input'],
    ['soon', 'input'],
  ] as const) {
    test(`rejects input ${JSON.stringify(input)} with PermanentError on ${field}`, async () => {
      await assert.rejects(
        async () => sleepHandler.handle(handlerContext<SleepInput>('sleep', input)),
        (error) => hasErrorCode(error, ErrorCodes.permanent) && (error as { field?: string }).field === field,
      );
    });
  }
});
