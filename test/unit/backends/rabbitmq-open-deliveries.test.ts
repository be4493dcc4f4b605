import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OpenDeliveries } from '../../../src/backends/rabbitmq/open-deliveries.js';

const opened = (...tags: number[]) => {
  const open = new OpenDeliveries();
  for (const tag of tags) open.add(tag);
  return open;
};

test('a batch holding every open delivery up to its highest tag is acked with one cumulative ack', () => {
  const open = opened(1, 2, 3, 4, 5);
  assert.equal(open.settle([3, 1, 2]), 3);
  assert.equal(open.size, 2);
  assert.equal(open.settle([4, 5]), 5);
  assert.equal(open.size, 0);
});

test('an open delivery below the batch (buffered, or taken by a claim still leasing) forces one ack per message', () => {
  const open = opened(1, 2, 3, 4);
  // Tags 1 and 2 went to a claim whose store lease is still in flight; this claim took 3 and 4.
  assert.equal(open.settle([3, 4]), undefined);
  // The first claim's lease lands: nothing below 2 is open any more.
  assert.equal(open.settle([1, 2]), 2);
});

test('deliveries given back (nacked) no longer hold a later batch to single acks', () => {
  const open = opened(7, 8, 9);
  open.forget([7]);
  assert.equal(open.settle([8, 9]), 9);
});

test('an open delivery above the batch does not stop the cumulative ack (it is not covered by it)', () => {
  const open = opened(1, 2, 3);
  assert.equal(open.settle([1, 2]), 2);
  assert.equal(open.size, 1);
});

test('an empty batch settles nothing', () => {
  const open = opened(1);
  assert.equal(open.settle([]), undefined);
  assert.equal(open.size, 1);
});
