import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { getJob, postJob, waitForEnd } from '../helpers/http.js';
import { SluiceProcess, startServer } from '../helpers/spawn-sluice.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { until } from '../helpers/until.js';

const temp = makeTempDir();
const procs: SluiceProcess[] = [];
after(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  temp.cleanup();
});

function setup(name: string) {
  const env = {
    SLUICE_BACKEND: `sqlite:${join(temp.dir, `${name}.db`)}`,
    SLUICE_REAPER_INTERVAL_MS: '100',
    SLUICE_LEASE_MS: '1000',
    SLUICE_POLL_INTERVAL_MS: '50',
  };
  const worker = () => {
    const proc = new SluiceProcess(['worker', '--concurrency', '1'], env);
    procs.push(proc);
    return proc;
  };
  return { env, worker };
}

test('a worker SIGKILLed mid-job: the job is reclaimed after its lease and succeeds on another worker (invariant 2)', async () => {
  const { env, worker } = setup('kill');
  const server = await startServer({ ...env, SLUICE_CONCURRENCY: '0' });
  procs.push(server.proc);
  const first = worker();
  await first.waitForLog(/sluice worker running/);

  const job = await postJob(server.url, { type: 'sleep', input: { ms: 1500 } });
  await until(async () => (await getJob(server.url, job.id)).status === 'running', 'the first worker to start the job');
  first.kill('SIGKILL');
  await first.exited;

  const second = worker();
  const done = await waitForEnd(server.url, job.id);
  assert.equal(done.status, 'succeeded');
  assert.equal(done.attempts, 2, 'the killed attempt counts, the second one finished the job');
  await second.stop();
});

test("a stalled worker's late completion is fenced out after its job was reclaimed (invariant 3)", async () => {
  const { env, worker } = setup('zombie');
  const server = await startServer({ ...env, SLUICE_CONCURRENCY: '0' });
  procs.push(server.proc);
  const zombie = worker();
  await zombie.waitForLog(/sluice worker running/);

  const job = await postJob(server.url, { type: 'sleep', input: { ms: 800 } });
  await until(async () => (await getJob(server.url, job.id)).status === 'running', 'the first worker to start the job');
  zombie.kill('SIGSTOP'); // frozen: no heartbeats, its lease runs out

  const healthy = worker();
  const done = await waitForEnd(server.url, job.id);
  assert.equal(done.status, 'succeeded');
  assert.equal(done.attempts, 2);

  zombie.kill('SIGCONT'); // wakes up believing it still owns the job
  await zombie.waitForLog(/job lease lost/);
  const after = await getJob(server.url, job.id);
  assert.deepEqual(after, done, 'the stale attempt changed nothing');
  await Promise.all([zombie.stop(), healthy.stop()]);
});
