import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Sluice } from '../../src/index.js';
import { SluiceProcess } from '../helpers/spawn-sluice.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PROGRAM = fileURLToPath(new URL('fixtures/library-worker.ts', import.meta.url));

const temp = makeTempDir();
const procs: SluiceProcess[] = [];
after(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  temp.cleanup();
});

/** Starts the library-only program (fixtures/library-worker.ts) on `db`: no CLI involved. */
function libraryProgram(db: string): SluiceProcess {
  const proc = new SluiceProcess([], {}, { command: process.execPath, args: ['--import', 'tsx', PROGRAM, db], cwd: ROOT });
  procs.push(proc);
  return proc;
}

const event = async (proc: SluiceProcess, name: string): Promise<Record<string, unknown>> =>
  JSON.parse(await proc.waitForLine(new RegExp(`^\\{"event":"${name}"`))) as Record<string, unknown>;

test("a library-only worker SIGKILLed mid-job: another library-only program's maintenance reclaims the job, which succeeds", {
  timeout: 60_000,
}, async () => {
  const db = join(temp.dir, 'library.db');
  // The test's own Sluice only enqueues and reads: it makes no worker, so it runs no maintenance.
  const sluice = await Sluice.connect(`sqlite:${db}`);
  try {
    const first = libraryProgram(db);
    await event(first, 'ready');
    const job = await sluice.enqueue({ type: 'flaky', input: {} });
    assert.deepEqual(await event(first, 'started'), { event: 'started', id: job.id, attempts: 1 });
    first.kill('SIGKILL');
    await first.exited;
    assert.equal((await sluice.getOrThrow(job.id)).status, 'running', 'the dead attempt still holds its lease');

    const second = libraryProgram(db);
    assert.deepEqual(await event(second, 'reclaimed'), { event: 'reclaimed', requeued: 1, failed: 0 });
    assert.deepEqual(await event(second, 'succeeded'), { event: 'succeeded', id: job.id, attempts: 2 });
    const done = await sluice.getOrThrow(job.id);
    assert.equal(done.status, 'succeeded');
    assert.equal(done.attempts, 2, 'the killed attempt counts, the second program finished the job');
    assert.deepEqual(done.output, { attempts: 2 });

    second.kill('SIGTERM');
    assert.deepEqual(await second.exited, { code: 0, signal: null }, 'close() stops the maintenance timers');
  } finally {
    await sluice.close();
  }
});
