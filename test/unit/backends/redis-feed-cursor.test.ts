import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeFeedCursor, parseFeedCursor } from '../../../src/backends/redis/feed-cursor.js';
import { ErrorCodes } from '../../../src/core/errors.js';

test('a cursor round-trips, queues in name order whatever the map order', () => {
  const positions = new Map([
    ['llm', '1796647950170-3'],
    ['default', '1796647950165-0'],
  ]);
  const cursor = encodeFeedCursor(positions);
  assert.match(cursor, /^[A-Za-z0-9_-]+$/);
  assert.equal(Buffer.from(cursor, 'base64url').toString(), '{"default":"1796647950165-0","llm":"1796647950170-3"}');
  assert.deepEqual([...parseFeedCursor(cursor)], [...positions].reverse());
  assert.equal(encodeFeedCursor(new Map([...positions].reverse())), cursor);
  assert.deepEqual([...parseFeedCursor(encodeFeedCursor(new Map()))], []);
});

test('anything the encoder could not have written is a validation error naming after', () => {
  const b64 = (text: string) => Buffer.from(text).toString('base64url');
  const bad = [
    '',
    'not-a-cursor',
    '-1',
    '{"x":1}',
    `${b64('{"a":"1-0"}')}=`,
    b64('[]'),
    b64('null'),
    b64('"1-0"'),
    b64('{"a":1}'),
    b64('{"a":"1"}'),
    b64('{"a":"01-0"}'),
    b64('{"a":"1-0 "}'),
    b64('{"":"1-0"}'),
    b64('{"a{b":"1-0"}'),
    b64('{"b":"1-0","a":"1-0"}'),
    b64('{ "a":"1-0"}'),
  ];
  for (const text of bad) {
    assert.throws(
      () => parseFeedCursor(text),
      (e: unknown) => (e as { code?: string }).code === ErrorCodes.validation && (e as { field?: string }).field === 'after',
      text,
    );
  }
});
