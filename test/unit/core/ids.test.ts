import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isJobId, newJobId } from '../../../src/core/ids.js';

describe('newJobId', () => {
  test('ids made in a burst are distinct UUIDv7s in creation order', () => {
    // Far more than one random pool (256 ids) and many ids per millisecond.
    const ids = Array.from({ length: 5_000 }, () => newJobId());
    assert.equal(new Set(ids).size, ids.length);
    for (const id of ids) {
      assert.ok(isJobId(id), id);
      assert.equal(id[14], '7', `version nibble of ${id}`);
      assert.match(id[19]!, /[89ab]/, `variant of ${id}`);
    }
    const sorted = [...ids].sort();
    assert.deepEqual(sorted, ids);
  });

  test('an explicit time is encoded in the first 48 bits', () => {
    const at = Date.UTC(2030, 0, 1);
    const id = newJobId(at);
    assert.equal(Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16), at);
    assert.notEqual(newJobId(at), id);
  });
});
