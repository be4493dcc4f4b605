import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { IdleRelease } from '../../../src/backends/transport/idle-release.js';

function rig(t: TestContext) {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const released: string[] = [];
  const idle = new IdleRelease(1000, (queue) => released.push(queue));
  return { idle, released, tick: (ms: number) => t.mock.timers.tick(ms) };
}

test('a satisfied claim not followed by another of its queue releases the queue after the delay', (t) => {
  const { idle, released, tick } = rig(t);
  idle.claimStarted(['a']);
  idle.claimEnded(['a'], true);
  tick(999);
  assert.deepEqual(released, []);
  tick(1);
  assert.deepEqual(released, ['a']);
});

test('a claim that came up short (a hungry worker) releases nothing', (t) => {
  const { idle, released, tick } = rig(t);
  idle.claimStarted(['a']);
  idle.claimEnded(['a'], false);
  tick(5000);
  assert.deepEqual(released, []);
});

test("a new claim of the queue cancels the release; another queue's claims do not", (t) => {
  const { idle, released, tick } = rig(t);
  idle.claimStarted(['a', 'b']);
  idle.claimEnded(['a', 'b'], true);
  tick(500);
  idle.claimStarted(['b']);
  idle.claimEnded(['b'], false);
  tick(500);
  assert.deepEqual(released, ['a']);
});

test('with two claims of a queue in flight, only the last to end arms the release', (t) => {
  const { idle, released, tick } = rig(t);
  idle.claimStarted(['a']);
  idle.claimStarted(['a']);
  idle.claimEnded(['a'], true);
  tick(2000);
  assert.deepEqual(released, [], 'a claim is still running');
  idle.claimEnded(['a'], true);
  tick(1000);
  assert.deepEqual(released, ['a']);
});

test('consumers back after a reconnect let go unless a claim of theirs runs; close cancels everything', (t) => {
  const { idle, released, tick } = rig(t);
  idle.claimStarted(['b']);
  idle.consumed(['a', 'b']);
  tick(1000);
  assert.deepEqual(released, ['a']);
  idle.claimEnded(['b'], true);
  idle.close();
  tick(5000);
  assert.deepEqual(released, ['a']);
});
