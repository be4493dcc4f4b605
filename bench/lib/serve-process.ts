import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { fromSource, sluiceModule } from './sluice-build.js';
import { REPO_ROOT } from './spawn-child.js';

/** A `sluice serve` process as `npm start` runs it (API and embedded workers), compiled unless --source. */
export interface ServeProcess {
  /** `http://127.0.0.1:PORT` */
  url: string;
  stop(): Promise<void>;
}

/** Starts `sluice serve` on a free port with `env` (SLUICE_BACKEND…); resolves once it listens. */
export async function startServe(env: Record<string, string>, startMs = 30_000): Promise<ServeProcess> {
  const main = fileURLToPath(sluiceModule(fromSource() ? 'cli/main.ts' : 'cli/main.js'));
  // SLUICE_BENCH_CHILD_PROF=DIR: a CPU profile of the server, as for the other bench children.
  const profile = process.env.SLUICE_BENCH_CHILD_PROF;
  const flags = [...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []), ...(fromSource() ? ['--import', 'tsx'] : [])];
  const child: ChildProcess = spawn(process.execPath, [...flags, main, 'serve'], {
    cwd: REPO_ROOT,
    env: { ...process.env, SLUICE_PORT: '0', SLUICE_HOST: '127.0.0.1', SLUICE_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`sluice serve did not listen within ${startMs} ms`)), startMs);
      let text = '';
      child.stdout!.setEncoding('utf8');
      child.stdout!.on('data', (chunk: string) => {
        text += chunk;
        // pino's line for `app.listen`: {"msg":"sluice serving","address":"http://127.0.0.1:PORT",…}
        const address =
          /"address":"(http:\/\/[^"]+)"[^\n]*"msg":"sluice serving"|"msg":"sluice serving"[^\n]*"address":"(http:\/\/[^"]+)"/.exec(
            text,
          );
        if (address) {
          clearTimeout(timer);
          text = '';
          child.stdout!.removeAllListeners('data');
          child.stdout!.resume(); // keep draining the log
          resolve((address[1] ?? address[2])!);
        } else if (text.length > 1_000_000) text = text.slice(-10_000);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`sluice serve exited (${code}) before listening`));
      });
    });
    return { url, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
