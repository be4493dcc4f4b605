import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli, type SluiceProcess, startServer } from '../helpers/spawn-sluice.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const temp = makeTempDir();
let server: { proc: SluiceProcess; url: string };
let env: Record<string, string>;

before(async () => {
  server = await startServer({ SLUICE_BACKEND: `sqlite:${join(temp.dir, 'cli.db')}`, SLUICE_CONCURRENCY: '2' });
  env = { SLUICE_URL: server.url };
});
after(async () => {
  await server.proc.stop();
  temp.cleanup();
});

describe('sluice CLI against a running server', () => {
  test('submit --wait prints the output of a math job', async () => {
    const { code, stdout, stderr } = await runCli(['submit', 'math', '{"question":"What is 6 times 7?"}', '--wait'], env);
    assert.equal(code, 0, stderr);
    assert.deepEqual(JSON.parse(stdout), { text: '6 times 7 = 42', value: 42 });
    assert.match(stderr, /succeeded/, 'the spinner reports the end state on stderr');
  });

  test('submit without --wait prints the accepted job; status shows it', async () => {
    const submitted = await runCli(['submit', 'noop', '{"hello":"world"}', '--priority', '5', '--queue', 'default'], env);
    assert.equal(submitted.code, 0, submitted.stderr);
    const job = JSON.parse(submitted.stdout) as { id: string; priority: number; status: string };
    assert.equal(job.priority, 5);
    const status = await runCli(['status', job.id, '--wait', '10'], env);
    assert.equal(status.code, 0, status.stderr);
    const shown = JSON.parse(status.stdout) as { id: string; status: string; output: unknown };
    assert.equal(shown.id, job.id);
    assert.equal(shown.status, 'succeeded');
    assert.deepEqual(shown.output, { hello: 'world' });
  });

  test('jobs and queues list what the server holds', async () => {
    const jobs = await runCli(['jobs', '--json', '--limit', '50'], env);
    assert.equal(jobs.code, 0, jobs.stderr);
    const page = JSON.parse(jobs.stdout) as { jobs: Array<{ type: string }> };
    assert.ok(page.jobs.some((j) => j.type === 'math'));
    const queues = await runCli(['queues'], env);
    assert.equal(queues.code, 0, queues.stderr);
    assert.match(queues.stdout, /^QUEUE\s+PAUSED/m);
    assert.match(queues.stdout, /^default\s+no/m);
  });

  test('queues pause and resume', async () => {
    const paused = await runCli(['queues', 'pause', 'reports'], env);
    assert.equal(paused.code, 0, paused.stderr);
    assert.deepEqual(JSON.parse(paused.stdout), { name: 'reports', paused: true });
    const resumed = await runCli(['queues', 'resume', 'reports'], env);
    assert.deepEqual(JSON.parse(resumed.stdout), { name: 'reports', paused: false });
  });

  test('a permanently failing job lands in dlq; dlq redrive puts it back', async () => {
    const failed = await runCli(['submit', 'math', '{"question":"What is the meaning of life?"}', '--wait'], env);
    assert.equal(failed.code, 1, 'a failed job exits non-zero');
    const failedJob = JSON.parse(failed.stdout) as { id: string; status: string; error: { code: string } };
    assert.equal(failedJob.status, 'failed');
    assert.equal(failedJob.error.code, 'SLUICE_PERMANENT');

    const dlq = await runCli(['dlq', '--json'], env);
    assert.equal(dlq.code, 0, dlq.stderr);
    assert.ok((JSON.parse(dlq.stdout) as { jobs: Array<{ id: string }> }).jobs.some((j) => j.id === failedJob.id));
    const redrive = await runCli(['dlq', 'redrive', '--ids', failedJob.id], env);
    assert.equal(redrive.code, 0, redrive.stderr);
    assert.deepEqual(JSON.parse(redrive.stdout), { redriven: 1 });
  });

  test('bad input is a one-line error naming the field, and a non-zero exit', async () => {
    const badJson = await runCli(['submit', 'math', '{not json'], env);
    assert.equal(badJson.code, 1);
    assert.match(badJson.stderr, /input is not valid JSON.*\[input\]/);

    const unknownType = await runCli(['submit', 'no-such-handler', '{}'], env);
    assert.equal(unknownType.code, 1);
    assert.match(unknownType.stderr, /\[type\].*SLUICE_UNKNOWN_TYPE/);

    const badPriority = await runCli(['submit', 'noop', '{}', '--priority', '5000'], env);
    assert.equal(badPriority.code, 1);
    assert.match(badPriority.stderr, /\[priority\].*SLUICE_VALIDATION/);
  });

  test('migrate creates the schema of a new database and exits', async () => {
    const { code, stdout, stderr } = await runCli(['migrate', '--backend', `sqlite:${join(temp.dir, 'migrated', 'new.db')}`]);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /schema of sqlite backend is current/);
  });

  test('a bad configuration variable stops start-up naming the variable', async () => {
    const bad = await runCli(['serve'], { SLUICE_PORT: 'eighty' });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /SLUICE_PORT/);
  });

  test('no server reachable: a clear message, not a stack trace', async () => {
    const closedPort = await freePort();
    const down = await runCli(['jobs'], { SLUICE_URL: `http://127.0.0.1:${closedPort}` });
    assert.equal(down.code, 1);
    assert.match(down.stderr, /cannot reach http:\/\/127\.0\.0\.1:\d+/);
    assert.doesNotMatch(down.stderr, /\n\s+at /, 'no stack trace');
  });
});

/** A port nothing listens on: bound once by us, then released. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
