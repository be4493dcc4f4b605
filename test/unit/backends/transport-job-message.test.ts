import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeMessage, encodeMessage } from '../../../src/backends/transport/job-message.js';

describe('transport job messages (every broker writes the same bodies)', () => {
  test('round trip, and a foreign message decodes to undefined', () => {
    const message = { id: 'j', queue: 'q', type: 't', priority: 5, runAt: 42 };
    assert.deepEqual(decodeMessage(encodeMessage(message)), message);
    assert.equal(decodeMessage(new TextEncoder().encode('hello')), undefined);
    assert.equal(decodeMessage(new TextEncoder().encode('{"id":1}')), undefined);
  });

  test('only the message fields go on the wire, whatever object carries them', () => {
    const job = { id: 'j', queue: 'q', type: 't', priority: 0, runAt: 1, input: { secret: 'x' } };
    assert.deepEqual(JSON.parse(encodeMessage(job).toString('utf8')), { id: 'j', queue: 'q', type: 't', priority: 0, runAt: 1 });
  });
});
