import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SseLineParser } from '../../bench/lib/sse-reader.js';

test('the bench SSE parser joins messages split across reads and skips comments', () => {
  const parser = new SseLineParser();
  assert.deepEqual(parser.push('retry: 1000\n\n: keep-alive\n\nid: 1\nevent: job.cre'), []);
  assert.deepEqual(parser.push('ated\ndata: {"seq":1}\n\nid: 2\ndata: a\ndata:b\n'), [
    { id: '1', event: 'job.created', data: '{"seq":1}' },
  ]);
  // The id carries over (the last one seen), the event type does not.
  assert.deepEqual(parser.push('\n'), [{ id: '2', event: undefined, data: 'a\nb' }]);
});

test('the bench SSE parser gives every message of one read', () => {
  const parser = new SseLineParser();
  const messages = parser.push('event: a\ndata: 1\n\nevent: b\ndata: 2\n\n');
  assert.deepEqual(
    messages.map((m) => [m.event, m.data]),
    [
      ['a', '1'],
      ['b', '2'],
    ],
  );
});
