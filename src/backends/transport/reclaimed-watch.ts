/** A job this handle put back to waiting by reclaiming its expired lease. */
interface Watched {
  queue: string;
  type: string;
  /** When it was republished (this process's clock). */
  at: number;
}

/** Watched jobs kept at most: a mass reclaim beyond this is left to the outbox relay. */
const MAX_WATCHED = 10_000;

/**
 * The jobs this handle reclaimed, for a claim here to lease straight from the store when their
 * message has not come back within `recheckMs`. A reclaim follows a dead or frozen worker, and a
 * frozen process keeps its connection and its consumer: the broker hands the republished message to
 * it as readily as to a live one, and there it sits unacked until the outbox relay's sweep notices
 * the job much later. Leasing by id is fenced by the store (only a job still waiting is leased), so
 * a message that does arrive later leases nothing and is dropped.
 */
export class ReclaimedWatch {
  private readonly watched = new Map<string, Watched>();

  constructor(
    private readonly recheckMs: number,
    /** After this long the relay's sweep has had its chance: the entry is forgotten. */
    private readonly forgetMs: number,
  ) {}

  add(jobs: ReadonlyArray<{ id: string; queue: string; type: string }>, now: number): void {
    for (const job of jobs) {
      if (this.watched.size >= MAX_WATCHED) return;
      this.watched.set(job.id, { queue: job.queue, type: job.type, at: now });
    }
  }

  /**
   * Takes (and forgets) up to `limit` jobs of `queues` (and `types`, when given) reclaimed at least
   * recheckMs ago; drops entries past forgetMs.
   */
  takeDue(queues: readonly string[], types: ReadonlySet<string> | undefined, limit: number, now: number): string[] {
    const due: string[] = [];
    for (const [id, entry] of this.watched) {
      const age = now - entry.at;
      if (age >= this.forgetMs) {
        this.watched.delete(id);
        continue;
      }
      if (due.length >= limit || age < this.recheckMs) continue;
      if (!queues.includes(entry.queue) || (types !== undefined && !types.has(entry.type))) continue;
      this.watched.delete(id);
      due.push(id);
    }
    return due;
  }

  get size(): number {
    return this.watched.size;
  }
}
