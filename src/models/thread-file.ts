import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';

/**
 * Locates a worker-thread module that sits next to the module at `here` (its `import.meta.url`):
 * `<name>.ts` when running from source through tsx, `<name>.js` when compiled to dist/. Prefers the
 * caller's own extension, falls back to the other.
 */
export function siblingThreadFile(name: string, here: string): { href: string; typescript: boolean } {
  const own = here.endsWith('.ts') ? '.ts' : '.js';
  const other = own === '.ts' ? '.js' : '.ts';
  for (const ext of [own, other]) {
    const url = new URL(`./${name}${ext}`, here);
    if (existsSync(fileURLToPath(url))) return { href: url.href, typescript: ext === '.ts' };
  }
  throw new Error(`${name}.{ts,js} not found next to ${fileURLToPath(here)}`);
}

/**
 * Worker threads inherit the parent's execArgv, so under `node --import tsx` they load `.ts`
 * already. A process that registered tsx some other way would not pass it on: then load tsx in
 * the thread explicitly.
 */
export function threadExecArgv(typescript: boolean): string[] {
  const inherited = process.execArgv;
  if (!typescript || inherited.some((arg) => arg.includes('tsx'))) return inherited;
  return [...inherited, '--import', import.meta.resolve('tsx')];
}

/**
 * Nice increment of the threads of a CPU-bound pool. The event loop shares the cores with them; at
 * the same priority the kernel gives a busy thread as much time as the loop, so an HTTP answer or a
 * lease heartbeat waits behind a time slice of BigInt arithmetic. A lower priority lets the loop
 * run first whenever it has work, and costs the threads nothing while the loop is idle.
 */
export const CPU_BOUND_NICE = 10;

/**
 * One piscina pool per process for a thread file beside the caller, created on first use. A thread
 * that dies with no task in hand is reported as a pool `error`, which unhandled would crash the
 * whole worker process: the pool is dropped instead, and the next task starts a fresh one.
 */
export class LazyThreadPool<Task, Result> {
  private pool: Piscina<Task, Result> | undefined;
  private threads: number;

  constructor(
    private readonly options: {
      name: string;
      here: string;
      maxThreads: number;
      idleTimeoutMs: number;
      /** Added to the threads' nice value (Linux, macOS), see CPU_BOUND_NICE. Default 0. */
      niceIncrement?: number;
    },
  ) {
    this.threads = checkThreads(options.maxThreads);
  }

  /** The most threads the pool runs at once. */
  get maxThreads(): number {
    return this.threads;
  }

  /**
   * Sets the most threads. A pool already running with another size is closed gracefully (its
   * tasks finish there) and the next task opens one of the new size.
   */
  resize(maxThreads: number): void {
    if (checkThreads(maxThreads) === this.threads) return;
    this.threads = maxThreads;
    const current = this.pool;
    this.pool = undefined;
    if (current) void current.close().catch(() => current.destroy());
  }

  get(): Piscina<Task, Result> {
    if (this.pool) return this.pool;
    const file = siblingThreadFile(this.options.name, this.options.here);
    const created = new Piscina<Task, Result>({
      filename: file.href,
      minThreads: 0,
      maxThreads: this.threads,
      idleTimeout: this.options.idleTimeoutMs,
      niceIncrement: this.options.niceIncrement ?? 0,
      execArgv: threadExecArgv(file.typescript),
    });
    created.on('error', () => {
      if (this.pool === created) this.pool = undefined;
      void created.destroy();
    });
    this.pool = created;
    return created;
  }

  /** Threads alive and tasks waiting for one (0 when no pool exists). */
  stats(): { threads: number; queued: number } {
    return this.pool ? { threads: this.pool.threads.length, queued: this.pool.queueSize } : { threads: 0, queued: 0 };
  }

  /** Stops the threads (running tasks are rejected). Safe to call more than once. */
  async close(): Promise<void> {
    const current = this.pool;
    this.pool = undefined;
    if (current) await current.destroy();
  }
}

function checkThreads(maxThreads: number): number {
  if (!Number.isInteger(maxThreads) || maxThreads < 1)
    throw new RangeError(`maxThreads must be an integer >= 1, got ${maxThreads}`);
  return maxThreads;
}
