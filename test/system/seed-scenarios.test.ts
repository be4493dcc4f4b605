import assert from 'node:assert/strict';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, test } from 'node:test';
import { postJob, waitForEnd } from '../helpers/http.js';
import { type SluiceProcess, startServer } from '../helpers/spawn-sluice.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const temp = makeTempDir();
let server: { proc: SluiceProcess; url: string };
before(async () => {
  server = await startServer({ SLUICE_BACKEND: `sqlite:${join(temp.dir, 'seeds.db')}`, SLUICE_CONCURRENCY: '2' });
});
after(async () => {
  await server.proc.stop();
  temp.cleanup();
});

test('the math chatbot: "What is 50 divided by 2?" answers "50 divided by 2 = 25"', async () => {
  const job = await postJob(server.url, { type: 'math', input: { question: 'What is 50 divided by 2?' } });
  const done = await waitForEnd(server.url, job.id);
  assert.equal(done.status, 'succeeded');
  assert.deepEqual(done.output, { text: '50 divided by 2 = 25', value: 25 });
});

test('factorial of 150000 returns all 711273 digits while the API keeps answering', async () => {
  const job = await postJob(server.url, { type: 'factorial', input: { n: 150_000 } });
  // Probe the API while the job runs: a stalled event loop would show as a slow /healthz.
  const latencies: number[] = [];
  let running = true;
  const probe = (async () => {
    while (running) {
      const start = performance.now();
      const res = await fetch(`${server.url}/healthz`);
      await res.arrayBuffer();
      assert.equal(res.status, 200);
      latencies.push(performance.now() - start);
    }
  })();
  const done = await waitForEnd(server.url, job.id);
  running = false;
  await probe;
  assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
  const output = done.output as { n: number; digits: number; value: string };
  assert.equal(output.n, 150_000);
  assert.equal(output.digits, 711_273);
  assert.equal(output.value.length, 711_273);
  assert.match(output.value, /^[1-9]\d*[1-9]0{37498}$/, '150000! ends in exactly 37498 zeros');
  assert.ok(latencies.length > 5, `only ${latencies.length} health probes completed during the job`);
  // A generous bound: the computation runs on a worker thread, so the API's loop never blocks for long.
  assert.ok(Math.max(...latencies) < 1000, `slowest /healthz took ${Math.max(...latencies).toFixed(0)} ms`);
});
