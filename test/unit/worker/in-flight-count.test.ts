import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InFlightCount } from '../../../src/worker/in-flight-count.js';

describe('InFlightCount', () => {
  test('whenZero resolves at once when nothing is in flight', async () => {
    const count = new InFlightCount();
    await count.whenZero();
    assert.equal(count.value, 0);
  });

  test('whenZero resolves only when the last one is done, for every waiter', async () => {
    const count = new InFlightCount();
    count.add();
    count.add();
    const resolved: number[] = [];
    const waits = [count.whenZero().then(() => resolved.push(1)), count.whenZero().then(() => resolved.push(2))];
    count.done();
    await Promise.resolve();
    assert.deepEqual(resolved, [], 'one still in flight');
    count.done();
    await Promise.all(waits);
    assert.deepEqual(resolved, [1, 2]);
    assert.equal(count.value, 0);
  });
});
