import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { BUILTIN_HANDLER_TYPES, builtinHandlers, closeBuiltinHandlers } from '../../../src/handlers/builtin-handlers.js';
import { MODEL_HANDLER_TYPES } from '../../../src/handlers/model-types.js';
import { noopHandler } from '../../../src/handlers/noop.js';
import { toDefinition } from '../../../src/worker/handler.js';
import { handlerContext } from './handler-context.js';

describe('noop handler', () => {
  test('returns its input unchanged', async () => {
    const input = { a: 1, nested: { list: [1, 'two', null] } };
    assert.equal(await noopHandler(handlerContext('noop', input)), input);
    assert.equal(await noopHandler(handlerContext('noop', null)), null);
  });
});

describe('builtinHandlers', () => {
  after(() => closeBuiltinHandlers());

  test('maps every built-in type and every offline model type to a handler', () => {
    const handlers = builtinHandlers();
    assert.deepEqual(Object.keys(handlers).sort(), [...BUILTIN_HANDLER_TYPES, ...MODEL_HANDLER_TYPES].sort());
    assert.deepEqual(Object.keys(handlers).sort(), ['detect-language', 'factorial', 'math', 'nlp', 'noop', 'ocr', 'sleep']);
  });

  test('returns a fresh map each call', () => {
    const first = builtinHandlers();
    delete first.math;
    assert.ok('math' in builtinHandlers());
  });

  test('each handler runs through the generic definition', async () => {
    const handlers = builtinHandlers();
    const run = (type: string, input: unknown): Promise<unknown> =>
      Promise.resolve(toDefinition(handlers[type]!).handle(handlerContext<never>(type, input)));
    assert.deepEqual(await run('math', { question: 'What is 50 divided by 2?' }), { text: '50 divided by 2 = 25', value: 25 });
    assert.deepEqual(await run('factorial', { n: 5 }), { n: 5, digits: 3, value: '120' });
    assert.deepEqual(await run('noop', { x: 1 }), { x: 1 });
    assert.deepEqual(await run('sleep', { ms: 1 }), { sleptMs: 1 });
  });

  test('closeBuiltinHandlers can be called more than once', async () => {
    await closeBuiltinHandlers();
    await closeBuiltinHandlers();
  });
});
