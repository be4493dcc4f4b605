import type { HandlerDefinition } from './handler.js';
import { InFlightCount } from './in-flight-count.js';

/**
 * The worker's concurrency slots: handlers running now, in total (at most `concurrency`) and per job
 * type (at most the handler's own `concurrency`, when it gives one).
 */
export class Slots {
  private readonly running = new InFlightCount();
  private readonly runningByType = new Map<string, number>();

  constructor(
    private readonly concurrency: number,
    private readonly handlers: ReadonlyMap<string, HandlerDefinition<never, unknown>>,
  ) {}

  /** Handlers running now. */
  get used(): number {
    return this.running.value;
  }

  /** Slots free now, worker-wide. */
  get free(): number {
    return this.concurrency - this.running.value;
  }

  /** Handlers of `type` running now. */
  usedBy(type: string): number {
    return this.runningByType.get(type) ?? 0;
  }

  /** Room under the type's own limit for one more, with `starting` of it already on their way. */
  hasRoom(type: string, starting: number): boolean {
    const limit = this.handlers.get(type)?.concurrency ?? Number.POSITIVE_INFINITY;
    return this.usedBy(type) + starting < limit;
  }

  take(type: string): void {
    this.running.add();
    this.runningByType.set(type, (this.runningByType.get(type) ?? 0) + 1);
  }

  leave(type: string): void {
    this.runningByType.set(type, (this.runningByType.get(type) ?? 1) - 1);
    this.running.done();
  }

  /** Resolves when no handler runs (at once if none does now). */
  whenIdle(): Promise<void> {
    return this.running.whenZero();
  }
}
