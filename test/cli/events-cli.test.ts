import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type PushRig, startPushRig } from '../helpers/push-rig.js';
import { runCli } from '../helpers/spawn-sluice.js';

/** Resolves with the id of the next job stored in the rig. */
function nextEnqueued(rig: PushRig): Promise<void> {
  return new Promise((resolve) => {
    const off = rig.backend.events.on('jobs:enqueued', () => {
      off();
      resolve();
    });
  });
}

describe('sluice submit --follow and sluice events (a server on the event log)', () => {
  let rig: PushRig;
  let env: Record<string, string>;

  before(async () => {
    rig = await startPushRig({ allowedTypes: new Set(['echo']) });
    env = { SLUICE_URL: await rig.listen() };
  });
  after(() => rig.close());

  test('submit --follow prints the output deltas as they arrive and a progress bar', async () => {
    const stored = nextEnqueued(rig);
    const cli = runCli(['submit', 'echo', '{}', '--follow'], env);
    await stored;
    const claimed = await rig.claim();
    await rig.progress(claimed, { percent: 50, message: 'halfway' });
    await rig.emit(claimed, 'Hel', 'lo');
    await rig.emit(claimed, ' world');
    await rig.complete(claimed, { text: 'Hello world' });
    const { code, stdout, stderr } = await cli;
    assert.equal(code, 0, stderr);
    assert.equal(stdout, 'Hello world\n');
    assert.match(stderr, /\[##########----------\] {2}50% halfway/);
    assert.match(stderr, /succeeded/);
  });

  test('events prints the history as JSON lines; --follow streams until the end', async () => {
    const job = await rig.enqueue();
    const claimed = await rig.claim();
    const history = await runCli(['events', job.id], env);
    assert.equal(history.code, 0, history.stderr);
    assert.deepEqual(
      history.stdout
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { type: string }).type),
      ['job.created', 'job.started'],
    );
    const followed = runCli(['events', job.id, '--follow', '--after', '1'], env);
    await rig.progress(claimed, 10);
    await rig.complete(claimed, 'ok');
    const { code, stdout, stderr } = await followed;
    assert.equal(code, 0, stderr);
    assert.deepEqual(
      stdout
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { seq: number }).seq),
      [2, 3, 4],
    );
  });

  test('events of an unknown job fails with the 404', async () => {
    const { code, stderr } = await runCli(['events', '00000000-0000-4000-8000-000000000000'], env);
    assert.notEqual(code, 0);
    assert.match(stderr, /not found/);
  });
});
