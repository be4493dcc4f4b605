import type { BackendSetup } from './backends.js';
import type { ApiProcess, WorkerPool } from './processes.js';

/** What a fault acts on while a scenario runs. */
export interface ChaosRun {
  backend: BackendSetup;
  api: ApiProcess;
  workers: WorkerPool;
  /** The scenario's lease length (a zombie must sleep past it). */
  leaseMs: number;
  /** Resolves once the client has had every submission acknowledged or given up. */
  submitted: Promise<void>;
  /** Aborted once the client is done: a fault that storms while submissions go on stops then. */
  submitting: AbortSignal;
  note(line: string): void;
}

/** A job the client submits; `expect` is how it should end. */
export interface SubmissionSpec {
  spec: Record<string, unknown>;
  expect: 'succeeded' | 'failed';
}

/**
 * One fault: `inject` runs while the client submits and returns once the fault is over and healed
 * (the network passes again, every process is running); the checker's bound starts then.
 */
export interface Fault {
  name: string;
  /** One line for the report and docs: what the fault does. */
  describe: string;
  /** Whether the fault can be applied to this backend (network faults need a proxy). */
  appliesTo(backend: BackendSetup): boolean;
  /** Jobs to submit instead of the default effect jobs (poison, delays). */
  submissions?(count: number): SubmissionSpec[];
  inject(run: ChaosRun): Promise<void>;
}

/** The default load: effect jobs of 100–500 ms with room for retries. */
export function effectJobs(count: number): SubmissionSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    spec: {
      type: 'chaos.effect',
      input: { ms: 100 + ((i * 37) % 400) },
      maxAttempts: 25,
      backoff: { type: 'fixed', delayMs: 100 },
    },
    expect: 'succeeded' as const,
  }));
}

/** Resolves after `ms`, or at once when `signal` aborts. A fault's pacing, not a synchronisation. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
