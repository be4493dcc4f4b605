import assert from 'node:assert/strict';
import { test } from 'node:test';
import { relayBudget } from '../../../src/backends/transport/relay.js';

const base = { consumerCount: 2, prefetch: 50, force: false };

test('the relay republishes nothing when the broker holds as many ready messages as the store has waiting jobs', () => {
  assert.equal(relayBudget({ ...base, waiting: 100, ready: 100 }), 0);
  assert.equal(relayBudget({ ...base, waiting: 100, ready: 120 }), 0, 'duplicates in the broker');
});

test('a shortfall that the consumers’ prefetch windows can hold unacked is not a loss while messages are ready', () => {
  assert.equal(relayBudget({ ...base, waiting: 10_000, ready: 9_900 }), 0);
  assert.equal(relayBudget({ ...base, waiting: 10_000, ready: 9_899 }), 1);
  assert.equal(relayBudget({ ...base, waiting: 10_000, ready: 9_000 }), 900);
});

test('once nothing is ready, or on resume, every waiting job the broker lacks may be republished, up to the pass maximum', () => {
  assert.equal(relayBudget({ ...base, waiting: 30, ready: 0 }), 30);
  assert.equal(relayBudget({ ...base, waiting: 30, ready: 20, force: true }), 10);
  assert.equal(relayBudget({ ...base, waiting: 1_000_000, ready: 0 }), 10_000);
  assert.equal(relayBudget({ ...base, waiting: 1_000_000, ready: 1 }), 10_000);
});
