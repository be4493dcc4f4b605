import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Sluice } from '../../src/sluice.js';
import { getJob, postJob } from '../helpers/http.js';
import { type SluiceProcess, startServer } from '../helpers/spawn-sluice.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { until } from '../helpers/until.js';

const temp = makeTempDir();
const procs: SluiceProcess[] = [];
after(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  temp.cleanup();
});

async function readJob(backendUrl: string, id: string) {
  const sluice = await Sluice.connect(backendUrl);
  try {
    return await sluice.getOrThrow(id);
  } finally {
    await sluice.close();
  }
}

test('SIGTERM during a job that fits in the grace period: the job finishes, then the process exits 0', async () => {
  const backend = `sqlite:${join(temp.dir, 'finish.db')}`;
  const { proc, url } = await startServer({
    SLUICE_BACKEND: backend,
    SLUICE_CONCURRENCY: '1',
    SLUICE_SHUTDOWN_GRACE_MS: '20000',
  });
  procs.push(proc);
  const job = await postJob(url, { type: 'sleep', input: { ms: 1000 } });
  await until(async () => (await getJob(url, job.id)).status === 'running', 'the job to start');

  proc.kill('SIGTERM');
  const exit = await proc.exited;
  assert.equal(exit.code, 0, proc.stderr);
  const stored = await readJob(backend, job.id);
  assert.equal(stored.status, 'succeeded');
  assert.equal(stored.attempts, 1);
});

test('SIGTERM during a job longer than the grace period: the job is handed back, attempt not counted', async () => {
  const backend = `sqlite:${join(temp.dir, 'handback.db')}`;
  const { proc, url } = await startServer({ SLUICE_BACKEND: backend, SLUICE_CONCURRENCY: '1', SLUICE_SHUTDOWN_GRACE_MS: '300' });
  procs.push(proc);
  const job = await postJob(url, { type: 'sleep', input: { ms: 600_000 } });
  await until(async () => (await getJob(url, job.id)).status === 'running', 'the job to start');

  proc.kill('SIGTERM');
  const exit = await proc.exited;
  assert.equal(exit.code, 0, proc.stderr);
  const stored = await readJob(backend, job.id);
  assert.equal(stored.status, 'queued', 'given back so another worker takes it at once');
  assert.equal(stored.attempts, 0);
});

test('SIGTERM with a prefetch line: the running job finishes, the jobs held ahead go back untouched', async () => {
  const backend = `sqlite:${join(temp.dir, 'prefetch.db')}`;
  const { proc, url } = await startServer({
    SLUICE_BACKEND: backend,
    SLUICE_CONCURRENCY: '1',
    SLUICE_PREFETCH: '2',
    SLUICE_SHUTDOWN_GRACE_MS: '20000',
  });
  procs.push(proc);
  // Long enough that the held jobs are still waiting when SIGTERM comes, even on a loaded machine.
  const first = await postJob(url, { type: 'sleep', input: { ms: 3000 }, priority: 10 });
  await until(async () => (await getJob(url, first.id)).status === 'running', 'the first job to start');
  const held = [
    await postJob(url, { type: 'sleep', input: { ms: 1000 } }),
    await postJob(url, { type: 'sleep', input: { ms: 1000 } }),
  ];
  // Claimed ahead of a free slot: leased (so "running" in the store) while the first one sleeps.
  for (const job of held) await until(async () => (await getJob(url, job.id)).status === 'running', 'the prefetch to take it');

  proc.kill('SIGTERM');
  const exit = await proc.exited;
  assert.equal(exit.code, 0, proc.stderr);
  assert.equal((await readJob(backend, first.id)).status, 'succeeded');
  for (const job of held) {
    const stored = await readJob(backend, job.id);
    assert.equal(stored.status, 'queued', 'handed back, never started');
    assert.equal(stored.attempts, 0);
  }
});
