import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Sluice } from '../../src/sluice.js';
import { SluiceProcess } from '../helpers/spawn-sluice.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/**
 * What a user gets from `npm install sluice`: the packed tarball installed into an empty project,
 * then the library, the HTTP SDK and the `sluice` command used from there, with no access to this
 * checkout. Slow (npm pack builds dist/, the install may compile better-sqlite3, minutes on a busy
 * machine): one install.
 */

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const temp = makeTempDir('sluice-packed-');
const app = join(temp.dir, 'app');
const procs: SluiceProcess[] = [];
/** Pids of the sluice processes that npx started: npx does not pass signals on to its child. */
const sluicePids = new Set<number>();

after(async () => {
  for (const pid of sluicePids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await Promise.all(procs.map((p) => p.stop()));
  temp.cleanup();
});

/** Runs `node FILE ARGS` in the scratch project and parses the JSON line it prints. */
async function runScript(file: string, source: string, args: string[]): Promise<unknown> {
  writeFileSync(join(app, file), source);
  const { stdout } = await run(process.execPath, [file, ...args], { cwd: app, timeout: 60_000 });
  return JSON.parse(stdout);
}

/** Starts the installed `sluice` command in the scratch project (`npx sluice ARGS`) and resolves
 * with the first log record matching `ready` and the pid of the sluice process itself (from that
 * record): signals go there, since npx exits on SIGTERM without passing it on. */
async function installedSluice(
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
): Promise<{ proc: SluiceProcess; pid: number; record: Record<string, unknown> }> {
  const proc = new SluiceProcess(args, env, { command: 'npx', args: ['--no-install', 'sluice'], cwd: app });
  procs.push(proc);
  const record = await proc.waitForLog(ready);
  const pid = Number(record.pid);
  assert.ok(Number.isInteger(pid) && pid !== proc.child.pid, `no pid of its own in ${JSON.stringify(record)}`);
  sluicePids.add(pid);
  return { proc, pid, record };
}

describe('the packed package, installed into an empty project', { timeout: 1_500_000 }, () => {
  before(
    async () => {
      const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', temp.dir], {
        cwd: ROOT,
        maxBuffer: 64 * 1024 * 1024,
      });
      const [packed] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
      assert.ok(packed, 'npm pack reported no tarball');
      const paths = packed.files.map((f) => f.path);
      for (const needed of ['bin/sluice.js', 'dist/index.js', 'dist/index.d.ts', 'dist/client/index.js', 'dist/cli/main.js']) {
        assert.ok(paths.includes(needed), `the tarball lacks ${needed}`);
      }
      assert.ok(!paths.some((p) => p.startsWith('src/') || p.startsWith('test/')), 'the tarball ships sources or tests');

      await run('mkdir', [app]);
      writeFileSync(
        join(app, 'package.json'),
        JSON.stringify({ name: 'scratch', version: '1.0.0', private: true, type: 'module' }),
      );
      await run('npm', ['install', join(temp.dir, packed.filename), '--no-audit', '--no-fund', '--prefer-offline'], {
        cwd: app,
        maxBuffer: 64 * 1024 * 1024,
        // Prebuilt better-sqlite3 binaries come from GitHub; the npm registry is the only network
        // this install may use, so the binding compiles from the registry's sources.
        env: { ...process.env, npm_config_build_from_source: 'true' },
      });
    },
    { timeout: 1_200_000 },
  );

  test('the installed package holds the compiled code and no TypeScript sources', () => {
    const installed = join(app, 'node_modules', 'sluice');
    assert.ok(existsSync(join(installed, 'dist', 'cli', 'main.js')));
    assert.ok(!existsSync(join(installed, 'src')));
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { types: string };
    assert.ok(existsSync(join(installed, manifest.types)), `types ${manifest.types} is missing`);
  });

  test("import 'sluice': enqueue, a worker with a custom handler, waitFor, close", async () => {
    const output = await runScript(
      'library.mjs',
      `import { Sluice } from 'sluice';
const sluice = await Sluice.connect('sqlite:' + process.argv[2]);
const job = await sluice.enqueue({ type: 'shout', input: { text: 'hello' } });
const worker = sluice.worker({ handlers: { shout: async ({ job }) => ({ text: job.input.text.toUpperCase() }) } });
await worker.start();
const done = await sluice.waitFor(job.id, { timeoutMs: 30000 });
await worker.stop();
await sluice.close();
console.log(JSON.stringify({ status: done.status, output: done.output }));
`,
      [join(temp.dir, 'library.db')],
    );
    assert.deepEqual(output, { status: 'succeeded', output: { text: 'HELLO' } });
  });

  test("import 'sluice/client' against `sluice serve` from the installed bin", async () => {
    const server = await installedSluice(
      ['serve', '--port', '0'],
      { SLUICE_BACKEND: `sqlite:${join(temp.dir, 'serve.db')}`, SLUICE_HOST: '127.0.0.1' },
      /sluice serving/,
    );
    const url = String(server.record.address);
    const output = await runScript(
      'client.mjs',
      `import { SluiceClient } from 'sluice/client';
const client = new SluiceClient({ baseUrl: process.argv[2] });
const job = await client.enqueue({ type: 'math', input: { question: 'What is 50 divided by 2?' } });
const done = await client.waitFor(job.id);
console.log(JSON.stringify({ status: done.status, output: done.output }));
`,
      [url],
    );
    assert.deepEqual(output, { status: 'succeeded', output: { text: '50 divided by 2 = 25', value: 25 } });
    process.kill(server.pid, 'SIGTERM');
    assert.equal((await server.proc.exited).code, 0, server.proc.stderr);
    sluicePids.delete(server.pid);
  });

  test('npx sluice --help', async () => {
    const { stdout } = await run('npx', ['--no-install', 'sluice', '--help'], { cwd: app });
    assert.match(stdout, /^Usage: sluice /m);
    assert.match(stdout, /\bworker\b/);
  });

  test('npx sluice worker claims a job, and SIGTERM to its pid hands the job back and ends it', async () => {
    const backend = `sqlite:${join(temp.dir, 'worker.db')}`;
    const sluice = await Sluice.connect(backend);
    try {
      const job = await sluice.enqueue({ type: 'sleep', input: { ms: 600_000 } });
      // Its signal handlers are in place once it says it runs; the claim may come a moment before.
      const { proc: worker, pid } = await installedSluice(
        ['worker', '--concurrency', '1'],
        { SLUICE_BACKEND: backend, SLUICE_LOG_LEVEL: 'debug', SLUICE_SHUTDOWN_GRACE_MS: '300' },
        /sluice worker running/,
      );
      const started = await worker.waitForLog(/job started/);
      assert.equal(started.jobId, job.id);

      process.kill(pid, 'SIGTERM');
      await worker.waitForLog(/job handed back at shutdown/);
      assert.equal((await worker.exited).code, 0, worker.stderr);
      sluicePids.delete(pid);
      const stored = await sluice.getOrThrow(job.id);
      assert.equal(stored.status, 'queued', 'handed back at shutdown');
      assert.equal(stored.attempts, 0);
    } finally {
      await sluice.close();
    }
  });
});
