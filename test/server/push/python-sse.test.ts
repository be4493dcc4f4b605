import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type PushRig, startPushRig } from '../../helpers/push-rig.js';

const CLIENT = fileURLToPath(new URL('./fixtures/sse_client.py', import.meta.url));
const python = spawnSync('python3', ['--version']).status === 0;
const skip = python ? false : 'python3 is not installed';

describe('a Python client with only the standard library reads the SSE stream', { skip }, () => {
  let rig: PushRig;
  let base: string;

  before(async () => {
    rig = await startPushRig();
    base = await rig.listen();
  });
  after(() => rig.close());

  test('http.client reads each event as it comes, and the end', async () => {
    const job = await rig.enqueue();
    const child = spawn('python3', [CLIENT, `${base}/v1/jobs/${job.id}/events`], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    const waiters: Array<{ test: RegExp; resolve: () => void }> = [];
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout.setEncoding('utf8');
    let partial = '';
    child.stdout.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        for (const waiter of waiters.filter((w) => w.test.test(line))) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const line = (test: RegExp) =>
      lines.some((l) => test.test(l)) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ test, resolve }));

    await line(/^1 job\.created /);
    const claimed = await rig.claim();
    await line(/^2 job\.started /);
    await rig.emit(claimed, 'π');
    await line(/^3 job\.output\.delta /);
    await rig.complete(claimed, { done: true });
    assert.equal(await exited, 0, stderr);
    assert.deepEqual(lines, [
      'OPEN text/event-stream; charset=utf-8',
      lines[1],
      lines[2],
      '3 job.output.delta {"chunks": ["\\u03c0"]}',
      '4 job.succeeded {"output": {"done": true}}',
      'END',
    ]);
    assert.match(lines[1]!, /^1 job\.created \{"type": "echo"/);
  });
});
