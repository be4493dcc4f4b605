import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ENQUEUE_ARITY } from '../../../src/backends/redis/lua.js';
import { pushEnqueueArgs } from '../../../src/backends/redis/row-mapping.js';
import { toNewJob } from '../../../src/core/new-job.js';

test('the jobs of one call go into one argument array, ENQUEUE_ARITY each, each input text returned', () => {
  const args: string[] = ['2'];
  const a = toNewJob({ type: 'noop', input: { n: 1 }, priority: 5 });
  const b = toNewJob({ type: 'echo', input: 'x', timeoutMs: 50, idempotencyKey: 'k', metadata: { m: true } }, { tenant: 't' });
  assert.equal(pushEnqueueArgs(args, a, '1000'), '{"n":1}');
  assert.equal(pushEnqueueArgs(args, b, '1001'), '"x"');
  assert.equal(args.length, 1 + 2 * ENQUEUE_ARITY);
  assert.deepEqual(args.slice(1, 1 + ENQUEUE_ARITY), [
    a.id,
    'noop',
    '{"n":1}',
    '5',
    '3',
    JSON.stringify(a.backoff),
    '',
    '',
    '',
    '',
    '',
    '0',
    '',
    '1000',
  ]);
  assert.deepEqual(args.slice(1 + ENQUEUE_ARITY), [
    b.id,
    'echo',
    '"x"',
    '0',
    '3',
    JSON.stringify(b.backoff),
    '50',
    '+k',
    '{"m":true}',
    '+t',
    '',
    '0',
    `+${b.requestHash}`,
    '1001',
  ]);
});

test('a job without input is stored with null input', () => {
  const args: string[] = [];
  assert.equal(pushEnqueueArgs(args, { ...toNewJob({ type: 'noop' }), input: undefined }, '1'), 'null');
});
