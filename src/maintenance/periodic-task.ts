/** Stops a periodic task: no further runs; resolves once a run in progress has finished. */
export type StopPeriodicTask = () => Promise<void>;

export interface PeriodicTaskOptions {
  intervalMs: number;
  /** Told when a run throws; the task keeps its schedule. */
  onError: (error: unknown) => void;
}

/**
 * Runs `task` at once and then `intervalMs` after each run ends (runs never overlap, however slow
 * the backend). Like any live timer it keeps the process alive until the returned stop is called.
 */
export function startPeriodicTask(task: () => Promise<void>, options: PeriodicTaskOptions): StopPeriodicTask {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();

  const runOnce = async () => {
    try {
      await task();
    } catch (error) {
      options.onError(error);
    }
  };
  const tick = () => {
    timer = undefined;
    current = runOnce().then(() => {
      if (stopped) return;
      // Unref'd: background upkeep never keeps a process alive on its own (its workers, server
      // or caller do); a program that stopped its workers can exit without closing the Sluice.
      timer = setTimeout(tick, options.intervalMs).unref();
    });
  };
  timer = setTimeout(tick, 0).unref();

  return async () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    await current;
  };
}
