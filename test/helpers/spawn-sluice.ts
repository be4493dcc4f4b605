import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/** A `sluice` CLI process started by a test, with its output collected line by line. */
export class SluiceProcess {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  stdout = '';
  stderr = '';
  private readonly waiters = new Set<{ test: (line: string) => boolean; resolve: (line: string) => void }>();
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  /** `launch`: another way to start the CLI (an installed `sluice` command); by default the
   * checkout's source through tsx. */
  constructor(args: string[], env: Record<string, string> = {}, launch?: { command: string; args: string[]; cwd: string }) {
    const command = launch?.command ?? process.execPath;
    this.child = spawn(command, [...(launch?.args ?? ['--import', 'tsx', MAIN]), ...args], {
      cwd: launch?.cwd ?? ROOT,
      env: { ...process.env, SLUICE_LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.exited = once(this.child, 'exit').then(([code, signal]) => ({
      code: code as number | null,
      signal: signal as NodeJS.Signals | null,
    }));
    this.collect(this.child.stdout!, 'stdout');
    this.collect(this.child.stderr!, 'stderr');
  }

  private collect(stream: NodeJS.ReadableStream, which: 'stdout' | 'stderr'): void {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      this[which] += chunk;
      partial += chunk;
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) this.onLine(line);
    });
  }

  private onLine(line: string): void {
    this.lines.push(line);
    for (const waiter of [...this.waiters]) {
      if (waiter.test(line)) {
        this.waiters.delete(waiter);
        waiter.resolve(line);
      }
    }
  }

  /** Resolves with the first output line (past or future) matching `pattern`; rejects if the
   * process exits first. */
  waitForLine(pattern: RegExp): Promise<string> {
    const seen = this.lines.find((l) => pattern.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = { test: (l: string) => pattern.test(l), resolve };
      this.waiters.add(waiter);
      this.exited.then(({ code, signal }) => {
        if (this.waiters.delete(waiter)) {
          reject(
            new Error(
              `process exited (code ${code}, signal ${signal}) before printing ${pattern}\n${this.stdout}\n${this.stderr}`,
            ),
          );
        }
      });
    });
  }

  /** Resolves with a structured (pino JSON) log record whose `msg` matches. */
  async waitForLog(msg: RegExp): Promise<Record<string, unknown>> {
    const line = await this.waitForLine(new RegExp(`"msg":"${msg.source}`));
    return JSON.parse(line) as Record<string, unknown>;
  }

  kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  /** Ends the process if it still runs (SIGKILL) and waits for it. */
  async stop(): Promise<void> {
    this.kill('SIGKILL');
    await this.exited;
  }
}

/** Starts `sluice serve` on a random port and resolves once it listens. */
export async function startServer(
  env: Record<string, string>,
  args: string[] = [],
): Promise<{ proc: SluiceProcess; url: string }> {
  const proc = new SluiceProcess(['serve', ...args], { SLUICE_PORT: '0', SLUICE_HOST: '127.0.0.1', ...env });
  const record = await proc.waitForLog(/sluice serving/);
  return { proc, url: String(record.address) };
}

/** Runs a CLI command to completion. */
export async function runCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = new SluiceProcess(args, env);
  const { code } = await proc.exited;
  return { code, stdout: proc.stdout, stderr: proc.stderr };
}
