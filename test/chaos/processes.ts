import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { SluiceProcess } from '../helpers/spawn-sluice.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WORKER = fileURLToPath(new URL('./chaos-worker.ts', import.meta.url));

/** A free port on 127.0.0.1 (the API keeps it across restarts, as behind a load balancer). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** `sluice serve --workers 0` on a fixed port, restartable after a kill. */
export class ApiProcess {
  proc: SluiceProcess | undefined;
  readonly url: string;

  constructor(
    private readonly env: Record<string, string>,
    readonly port: number,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  async start(): Promise<void> {
    // The port may still be held for a moment by the process just killed: retry the start.
    for (let attempt = 1; ; attempt++) {
      const proc = new SluiceProcess(['serve', '--workers', '0'], {
        ...this.env,
        SLUICE_PORT: String(this.port),
        SLUICE_HOST: '127.0.0.1',
        SLUICE_JOB_TYPES: '*',
        SLUICE_LOG_LEVEL: 'info',
      });
      this.proc = proc;
      try {
        await Promise.race([proc.waitForLine(/"msg":"sluice serving/), timeout(60_000, 'the API to listen')]);
        return;
      } catch (error) {
        await proc.stop();
        if (attempt >= 5) throw error;
      }
    }
  }

  /** Sends `signal`, waits for the exit, starts a new API on the same port. */
  async restart(signal: NodeJS.Signals): Promise<void> {
    const proc = this.proc;
    if (proc) {
      proc.kill(signal);
      await Promise.race([proc.exited, timeout(30_000, `the API to exit on ${signal}`)]).catch(async () => proc.stop());
    }
    await this.start();
  }

  async stop(): Promise<void> {
    await this.proc?.stop();
  }
}

export interface WorkerHandle {
  child: ChildProcess;
  pid: number;
  exited: Promise<void>;
  /** Output lines, for diagnostics. */
  output: string[];
}

/**
 * The chaos workers, kept at `size` by a supervisor (as systemd or Kubernetes would): a worker that
 * exits, by a kill or a crash, is replaced once its exit is seen, until the pool stops. Extra
 * workers (`spawnExtra`, e.g. under faketime) are not replaced.
 */
export class WorkerPool {
  readonly workers = new Set<WorkerHandle>();
  private stopping = false;
  /** Workers started so far (replacements included). */
  started = 0;

  constructor(
    private readonly env: Record<string, string>,
    private readonly size: number,
  ) {}

  async start(): Promise<void> {
    await Promise.all(Array.from({ length: this.size }, () => this.spawnSupervised()));
  }

  /** The supervised workers running now. */
  get running(): WorkerHandle[] {
    return [...this.workers].filter((w) => w.child.exitCode === null && w.child.signalCode === null);
  }

  private async spawnSupervised(): Promise<WorkerHandle> {
    const handle = this.spawn({});
    void handle.exited.then(() => {
      this.workers.delete(handle);
      // A pause before the replacement, as a supervisor's restart delay: no spin when start-up fails.
      if (!this.stopping) setTimeout(() => !this.stopping && void this.spawnSupervised().catch(() => {}), 250);
    });
    this.workers.add(handle);
    await waitRunning(handle);
    return handle;
  }

  /** A worker outside the supervision, with extra env (e.g. libfaketime preloaded). */
  async spawnExtra(env: Record<string, string>): Promise<WorkerHandle> {
    const handle = this.spawn(env);
    this.extras.add(handle);
    await waitRunning(handle);
    return handle;
  }
  private readonly extras = new Set<WorkerHandle>();

  private spawn(extraEnv: Record<string, string>): WorkerHandle {
    this.started++;
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
      cwd: ROOT,
      env: { ...process.env, ...this.env, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    const keep = (chunk: Buffer) => {
      output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      if (output.length > 200) output.splice(0, output.length - 200);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const exited = once(child, 'exit').then(() => undefined);
    return { child, pid: child.pid!, exited, output };
  }

  /** Stops every worker (supervised and extra): SIGCONT first (a frozen one cannot die), then SIGKILL. */
  async stop(): Promise<void> {
    this.stopping = true;
    const all = [...this.workers, ...this.extras];
    for (const w of all) {
      w.child.kill('SIGCONT');
      w.child.kill('SIGKILL');
    }
    await Promise.all(all.map((w) => w.exited));
  }
}

async function waitRunning(handle: WorkerHandle): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker ${handle.pid} did not start:\n${handle.output.join('\n')}`)), 60_000);
    const onData = (chunk: Buffer) => {
      if (chunk.toString('utf8').includes('"msg":"chaos worker running"')) {
        clearTimeout(timer);
        handle.child.stdout!.off('data', onData);
        resolve();
      }
    };
    handle.child.stdout!.on('data', onData);
    void handle.exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`worker ${handle.pid} exited before running:\n${handle.output.join('\n')}`));
    });
  });
}

function timeout(ms: number, what: string): Promise<never> {
  return new Promise((_, reject) =>
    setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms).unref(),
  );
}
