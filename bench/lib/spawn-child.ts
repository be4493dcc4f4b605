import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A bench child process (`bench/child/*.ts`) talking over IPC; killed if still alive at `dispose`. */
export class Child {
  readonly proc: ChildProcess;
  private readonly messages: unknown[] = [];
  private waiters: Array<() => void> = [];
  readonly exited: Promise<number | null>;

  /** `nodeFlags`: more node options for the child (`--expose-gc` for a heap measure). */
  constructor(script: string, args: object, nodeFlags: string[] = []) {
    // SLUICE_BENCH_CHILD_PROF=DIR writes a CPU profile of every child there (node refuses
    // --cpu-prof in NODE_OPTIONS, and the children are where the workers of scale-out run).
    const profile = process.env.SLUICE_BENCH_CHILD_PROF;
    const flags = [...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []), ...nodeFlags];
    this.proc = spawn(process.execPath, [...flags, '--import', 'tsx', `bench/child/${script}`, JSON.stringify(args)], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    this.proc.on('message', (m) => {
      this.messages.push(m);
      const w = this.waiters;
      this.waiters = [];
      for (const f of w) f();
    });
    this.exited = new Promise((resolve) => this.proc.once('exit', (code) => resolve(code)));
  }

  /** The next message of `type`, within `ms`. */
  async next<T extends { type: string }>(type: string, ms: number): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.messages.findIndex((m) => (m as { type?: string }).type === type);
      if (i >= 0) return this.messages.splice(i, 1)[0] as T;
      const errorIndex = this.messages.findIndex((m) => (m as { type?: string }).type === 'error');
      if (errorIndex >= 0) throw new Error(`child: ${(this.messages[errorIndex] as { message: string }).message}`);
      if (this.proc.exitCode !== null) throw new Error(`child exited (${this.proc.exitCode}) before "${type}"`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`child sent no "${type}" within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  send(message: object): void {
    if (this.proc.connected) this.proc.send(message);
  }

  /** Asks it to stop, waits up to `ms`, then SIGKILLs it. */
  async dispose(ms = 10_000): Promise<void> {
    if (this.proc.exitCode !== null) return;
    this.send({ type: 'stop' });
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), ms);
    await this.exited;
    clearTimeout(timer);
  }
}
