import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TypedEmitter } from '../../../src/worker/typed-emitter.js';

test('emitLazy builds the payload only when the event has a listener', () => {
  const emitter = new TypedEmitter<{ done: { n: number } }>();
  let built = 0;
  const make = () => {
    built++;
    return { n: built };
  };
  emitter.emitLazy('done', make);
  assert.equal(built, 0);
  const seen: number[] = [];
  const off = emitter.on('done', ({ n }) => seen.push(n));
  emitter.emitLazy('done', make);
  off();
  emitter.emitLazy('done', make);
  assert.equal(built, 1);
  assert.deepEqual(seen, [1]);
});
