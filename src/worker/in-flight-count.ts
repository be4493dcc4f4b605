/**
 * A count of things in progress (running handlers, unfinished attempts) and the callers waiting for
 * it to reach zero: stop() waits on these instead of holding a promise per job.
 */
export class InFlightCount {
  private count = 0;
  private waiters: Array<() => void> = [];

  get value(): number {
    return this.count;
  }

  add(): void {
    this.count += 1;
  }

  done(): void {
    this.count -= 1;
    if (this.count > 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Resolves when the count is zero (at once if it is now). */
  whenZero(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
