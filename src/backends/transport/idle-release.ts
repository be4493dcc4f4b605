/**
 * Per queue: the claims running now, and a timer that lets go of the queue's consumer once the
 * worker behind it is full. A queue whose last claim got every job it asked for, and that no claim
 * asks for again within `delayMs`, is released (`release(queue)`: stop consuming, hand buffered
 * deliveries back), so that idle workers elsewhere run them instead of waiting behind running jobs.
 * Any claim of the queue cancels its timer.
 */
export class IdleRelease {
  private readonly inFlight = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly delayMs: number,
    private readonly release: (queue: string) => void,
  ) {}

  claimStarted(queues: readonly string[]): void {
    for (const queue of queues) {
      this.cancel(queue);
      this.inFlight.set(queue, (this.inFlight.get(queue) ?? 0) + 1);
    }
  }

  /** `satisfied`: the claim got every job it asked for (its worker is full until one ends). */
  claimEnded(queues: readonly string[], satisfied: boolean): void {
    for (const queue of queues) {
      const left = (this.inFlight.get(queue) ?? 1) - 1;
      if (left > 0) {
        this.inFlight.set(queue, left);
        continue;
      }
      this.inFlight.delete(queue);
      if (satisfied) this.arm(queue);
    }
  }

  /** Consumers came back without a claim asking (a reconnect): those no claim runs for let go again. */
  consumed(queues: Iterable<string>): void {
    for (const queue of queues) if (!this.inFlight.has(queue)) this.arm(queue);
  }

  close(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private arm(queue: string): void {
    this.cancel(queue);
    const timer = setTimeout(() => {
      this.timers.delete(queue);
      this.release(queue);
    }, this.delayMs);
    timer.unref();
    this.timers.set(queue, timer);
  }

  private cancel(queue: string): void {
    clearTimeout(this.timers.get(queue));
    this.timers.delete(queue);
  }
}
