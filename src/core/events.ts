import type { Job } from './job.js';

/**
 * Events a backend emits after a change is durable. In-process listeners (the worker's wake-up,
 * long-polls, metrics) subscribe here; a backend whose capabilities say `crossProcessEvents`
 * also relays changes made by other processes.
 */
export interface SluiceEventMap {
  /** New jobs were stored (a worker may wake). `remote`: relayed from another process, so
   * counters (metrics) skip it: the process that made the change counts it. */
  'jobs:enqueued': { queue: string; count: number; remote?: true };
  /** A job reached a terminal state (succeeded, failed, cancelled). `remote` as above. */
  'job:finished': { job: Job; remote?: true };
  /** A running job was cancelled: a worker holding it should abort the handler. */
  'job:cancelled': { id: string };
  /** A job went back to waiting: a failed attempt scheduled for retry, a reclaimed lease, a redrive. */
  'job:requeued': { id: string; queue: string };
  'job:progress': { id: string; progress: unknown };
  'queue:paused': { queue: string; paused: boolean };
}

export type SluiceEventName = keyof SluiceEventMap;
type Listener<K extends SluiceEventName> = (payload: SluiceEventMap[K]) => void;

/** A small typed event emitter: core stays free of node imports. Listener errors are isolated. */
export class SluiceEvents {
  private readonly listeners = new Map<SluiceEventName, Set<Listener<never>>>();

  on<K extends SluiceEventName>(name: K, listener: Listener<K>): () => void {
    let set = this.listeners.get(name);
    if (!set) {
      set = new Set();
      this.listeners.set(name, set);
    }
    set.add(listener as Listener<never>);
    return () => this.off(name, listener);
  }

  off<K extends SluiceEventName>(name: K, listener: Listener<K>): void {
    this.listeners.get(name)?.delete(listener as Listener<never>);
  }

  emit<K extends SluiceEventName>(name: K, payload: SluiceEventMap[K]): void {
    const set = this.listeners.get(name);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as Listener<K>)(payload);
      } catch {
        // A listener's failure must not break the write path that emitted the event.
      }
    }
  }

  listenerCount(name: SluiceEventName): number {
    return this.listeners.get(name)?.size ?? 0;
  }
}
