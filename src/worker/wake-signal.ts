/**
 * Lets the claim loop sleep until there may be work: a wake-up (a job enqueued in this process, a
 * slot freed, stop) or the idle poll timer (work from other processes). A wake-up that arrives
 * while nobody waits is remembered, so a job enqueued during a claim call is not missed.
 */
export class WakeSignal {
  private pending = false;
  private waiter: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;

  wake(): void {
    const waiter = this.waiter;
    if (waiter) {
      this.settle();
      waiter();
    } else {
      this.pending = true;
    }
  }

  /** Resolves at the next wake-up, or after `timeoutMs` when given. One waiter at a time. */
  wait(timeoutMs?: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.waiter = resolve;
      if (timeoutMs !== undefined) {
        this.timer = setTimeout(() => {
          this.settle();
          resolve();
        }, timeoutMs);
      }
    });
  }

  private settle(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.waiter = undefined;
  }
}
