import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fromSource, sluiceModule } from './sluice-build.js';
import { REPO_ROOT } from './spawn-child.js';
import { now, sleep } from './time.js';

/** A `sluice serve` process as `npm start` runs it (API and embedded workers), compiled unless --source. */
export interface ServeProcess {
  /** `http://127.0.0.1:PORT` */
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts `sluice serve` on a free port with `env` (SLUICE_BACKEND…) and resolves once it listens.
 * Its log (info, as `npm start` logs) goes to `logFile`, a file as in a deployment: a pipe to this
 * process would make the server wait whenever the bench is slow to read.
 */
export async function startServe(env: Record<string, string>, logFile: string, startMs = 30_000): Promise<ServeProcess> {
  const main = fileURLToPath(sluiceModule(fromSource() ? 'cli/main.ts' : 'cli/main.js'));
  // SLUICE_BENCH_CHILD_PROF=DIR: a CPU profile of the server, as for the other bench children.
  const profile = process.env.SLUICE_BENCH_CHILD_PROF;
  const flags = [...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []), ...(fromSource() ? ['--import', 'tsx'] : [])];
  const log = openSync(logFile, 'w');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [...flags, main, 'serve'], {
      cwd: REPO_ROOT,
      env: { ...process.env, SLUICE_PORT: '0', SLUICE_HOST: '127.0.0.1', SLUICE_LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', log, 'inherit'],
    });
  } finally {
    closeSync(log);
  }
  const exited = once(child, 'exit');
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  };
  try {
    const deadline = now() + startMs;
    for (;;) {
      // pino's line for `app.listen`: {…,"address":"http://127.0.0.1:PORT",…,"msg":"sluice serving"}
      const line = readFileSync(logFile, 'utf8')
        .split('\n')
        .find((l) => l.includes('"msg":"sluice serving"'));
      const address = line ? (JSON.parse(line) as { address?: string }).address : undefined;
      if (address) return { url: address, stop };
      if (child.exitCode !== null) throw new Error(`sluice serve exited (${child.exitCode}) before listening`);
      if (now() > deadline) throw new Error(`sluice serve did not listen within ${startMs} ms`);
      await sleep(50);
    }
  } catch (error) {
    await stop();
    throw error;
  }
}
