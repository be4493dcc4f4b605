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

  test('jobs pages: a hint with the next cursor while more remain, --cursor and --all', async () => {
    const ids = await submitJobs(Array.from({ length: 3 }, (_, i) => ({ type: 'noop', queue: 'paging', input: i })));
    const first = await runCli(['jobs', '--queue', 'paging', '--limit', '2'], env);
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(tableIds(first.stdout), [ids[2], ids[1]]);
    const cursor = /more remain: sluice jobs --cursor (\S+) \(or --all/.exec(first.stderr)?.[1];
    assert.ok(cursor, `a next-page hint on stderr: ${first.stderr}`);

    const second = await runCli(['jobs', '--queue', 'paging', '--limit', '2', '--cursor', cursor], env);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(tableIds(second.stdout), [ids[0]]);
    assert.doesNotMatch(second.stderr, /more remain/, 'the last page has no hint');

    const all = await runCli(['jobs', '--queue', 'paging', '--limit', '1', '--all'], env);
    assert.equal(all.code, 0, all.stderr);
    assert.deepEqual(tableIds(all.stdout), [...ids].reverse());
    assert.doesNotMatch(all.stderr, /more remain/);
  });

  test('dlq pages like jobs; a bare dlq redrive without a terminal needs --all; redrive flags', async () => {
    const ids = await submitJobs(Array.from({ length: 3 }, () => ({ type: 'math', input: { question: 'What is love?' } })));
    for (const id of ids) assert.equal((await getJob(id, 30)).status, 'failed');

    const page = await runCli(['dlq', '--limit', '1'], env);
    assert.equal(page.code, 0, page.stderr);
    assert.equal(tableIds(page.stdout).length, 1);
    assert.match(page.stderr, /1 shown, more remain: sluice dlq --cursor \S+ \(or --all for every page\)/);
    const all = await runCli(['dlq', '--all', '--limit', '2', '--json'], env);
    assert.equal(all.code, 0, all.stderr);
    const listed = JSON.parse(all.stdout) as { jobs: Array<{ id: string; input?: unknown }>; nextCursor?: string };
    for (const id of ids)
      assert.ok(
        listed.jobs.some((j) => j.id === id),
        `${id} in --all`,
      );
    assert.equal(listed.nextCursor, undefined);
    assert.equal('input' in listed.jobs[0]!, false, 'summaries');

    const refused = await runCli(['dlq', 'redrive'], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /no filter given: pass --all to redrive every failed job/);
    for (const id of ids) assert.equal((await getJob(id)).status, 'failed', 'nothing was redriven');

    const changed = await runCli(['dlq', 'redrive', '--ids', ids[0]!, '--max-attempts', '2', '--timeout-ms', '5000'], env);
    assert.equal(changed.code, 0, changed.stderr);
    assert.deepEqual(JSON.parse(changed.stdout), { redriven: 1 });
    const redriven = await getJob(ids[0]!);
    assert.deepEqual([redriven.maxAttempts, redriven.timeoutMs], [2, 5000]);

    const badFlag = await runCli(['dlq', 'redrive', '--ids', ids[1]!, '--max-attempts', '0'], env);
    assert.equal(badFlag.code, 1);
    assert.match(badFlag.stderr, /\[maxAttempts\].*SLUICE_VALIDATION/);

    const everything = await runCli(['dlq', 'redrive', '--all'], env);
    assert.equal(everything.code, 0, everything.stderr);
    assert.ok((JSON.parse(everything.stdout) as { redriven: number }).redriven >= 2);
    for (const id of ids.slice(1)) assert.notEqual((await getJob(id)).maxAttempts, 2, 'the others keep theirs');
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

/** Submits jobs straight to the API (quicker than a CLI process each); returns their ids in order. */
async function submitJobs(jobs: object[]): Promise<string[]> {
  const res = await fetch(`${server.url}/v1/jobs/bulk`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jobs }),
  });
  assert.equal(res.status, 202);
  return ((await res.json()) as { jobs: Array<{ id: string }> }).jobs.map((j) => j.id);
}

async function getJob(id: string, waitSeconds = 0): Promise<{ status: string; maxAttempts: number; timeoutMs?: number }> {
  const res = await fetch(`${server.url}/v1/jobs/${id}?wait=${waitSeconds}`);
  assert.equal(res.status, 200);
  return (await res.json()) as { status: string; maxAttempts: number; timeoutMs?: number };
}

/** The job ids of a printed job table (first column, header skipped). */
function tableIds(stdout: string): string[] {
  return stdout
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(/\s+/)[0]!);
}

/** A port nothing listens on: bound once by us, then released. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
