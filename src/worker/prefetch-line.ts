import type { Attempt } from './attempt.js';
import type { Slots } from './slots.js';

/** What the line hands its attempts to. */
export interface PrefetchLineHooks {
  /** False once stop() began: nothing more starts. */
  isRunning(): boolean;
  /** A waiting attempt got its slot: run it. */
  start(attempt: Attempt): void;
  /** A waiting attempt lost its lease (cancelled, reported lost, superseded): end it, writing nothing. */
  drop(attempt: Attempt): void;
}

/**
 * Jobs claimed ahead of a free slot (the `prefetch` option), held under lease in claim order until
 * a slot frees. Every attempt passes through the line, so a job claimed for a free slot starts from
 * here too.
 */
export class PrefetchLine {
  private waiting: Attempt[] = [];

  constructor(
    private readonly slots: Slots,
    private readonly hooks: PrefetchLineHooks,
  ) {}

  /** Attempts waiting now. */
  get length(): number {
    return this.waiting.length;
  }

  /** Waiting attempts of job type `type`. */
  countOf(type: string): number {
    return this.waiting.reduce((n, attempt) => n + (attempt.job.type === type ? 1 : 0), 0);
  }

  push(attempt: Attempt): void {
    this.waiting.push(attempt);
  }

  /** Empties the line (stop): the caller hands these back. */
  takeAll(): Attempt[] {
    const all = this.waiting;
    this.waiting = [];
    return all;
  }

  /**
   * Starts waiting attempts, oldest first (claim order), while there are free slots and their type
   * has room; drops those that lost their lease on the way. Once every slot is taken the rest of
   * the line is left as it is, so a freed slot costs O(started), not O(prefetch). The line is
   * settled before anything runs: starting a job emits events, and a listener may call stop().
   */
  dispatch(): void {
    if (this.waiting.length === 0 || !this.hooks.isRunning()) return;
    let free = this.slots.free;
    if (free <= 0) return;
    const line = this.waiting;
    const start: Attempt[] = [];
    const drop: Attempt[] = [];
    const still: Attempt[] = [];
    const startingByType = new Map<string, number>();
    let i = 0;
    for (; i < line.length && free > 0; i++) {
      const attempt = line[i]!;
      const type = attempt.job.type;
      const starting = startingByType.get(type) ?? 0;
      if (attempt.aborted) drop.push(attempt);
      else if (this.slots.hasRoom(type, starting)) {
        start.push(attempt);
        startingByType.set(type, starting + 1);
        free -= 1;
      } else still.push(attempt);
    }
    this.waiting = i === line.length ? still : still.concat(line.slice(i));
    this.leave(drop, start);
  }

  /** Drops waiting attempts whose lease is gone (cancelled, reported lost, superseded): no write. */
  dropLost(): void {
    const kept: Attempt[] = [];
    const drop: Attempt[] = [];
    for (const attempt of this.waiting) (attempt.aborted ? drop : kept).push(attempt);
    if (drop.length === 0) return;
    this.waiting = kept;
    this.leave(drop, []);
  }

  /** Hands on attempts already out of the line: `drop` end without a write, `start` run. */
  private leave(drop: Attempt[], start: Attempt[]): void {
    for (const attempt of drop) this.hooks.drop(attempt);
    for (const attempt of start) this.hooks.start(attempt);
  }
}
