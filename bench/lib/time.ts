import { performance } from 'node:perf_hooks';

export const now = (): number => performance.now();

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Rejects after `ms` with a message naming what did not finish: every bench loop is bounded. */
export async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves once `count()` reaches `target`, checking every few ms; bounded by `ms`. */
export async function untilCount(count: () => number, target: number, ms: number, what: string): Promise<void> {
  const deadline = now() + ms;
  while (count() < target) {
    if (now() > deadline) throw new Error(`${what}: ${count()}/${target} after ${ms} ms`);
    await sleep(2);
  }
}

/**
 * Wall-clock time in ms with sub-millisecond precision, comparable across the processes of one
 * machine (Date.now() is whole ms): the push rows stamp a job's end in one process and read it in
 * another.
 */
export const epochNow = (): number => performance.timeOrigin + performance.now();
