/**
 * At most `limit` holders per key at once (a receiver's origin); the rest wait in arrival order.
 * In-process: it keeps one process from flooding a slow receiver, and the delivery worker's own
 * concurrency keeps deliveries from taking slots of any other queue's workers.
 */
export class KeyedLimit {
  private readonly held = new Map<string, { count: number; waiting: Array<() => void> }>();

  constructor(private readonly limit: number) {}

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    let entry = this.held.get(key);
    if (!entry) {
      entry = { count: 0, waiting: [] };
      this.held.set(key, entry);
    }
    if (entry.count >= this.limit) await new Promise<void>((resolve) => entry.waiting.push(resolve));
    else entry.count++;
    try {
      return await task();
    } finally {
      const next = entry.waiting.shift();
      if (next) next();
      else if (--entry.count === 0) this.held.delete(key);
    }
  }
}
