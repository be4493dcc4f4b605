/** A listener for one event of an event map. */
export type EventListener<M, K extends keyof M> = (payload: M[K]) => void;

/**
 * A small typed event emitter. Unlike node's EventEmitter, an `error` event with no listener does
 * not throw: a worker reports its troubles as events and keeps going. A listener that throws is
 * isolated, so an observer cannot break the code that emitted the event.
 */
export class TypedEmitter<M extends object> {
  private readonly listeners = new Map<keyof M, Set<EventListener<M, never>>>();

  /** Subscribes; returns the unsubscribe function. */
  on<K extends keyof M>(name: K, listener: EventListener<M, K>): () => void {
    let set = this.listeners.get(name);
    if (!set) {
      set = new Set();
      this.listeners.set(name, set);
    }
    set.add(listener as EventListener<M, never>);
    return () => this.off(name, listener);
  }

  off<K extends keyof M>(name: K, listener: EventListener<M, K>): void {
    this.listeners.get(name)?.delete(listener as EventListener<M, never>);
  }

  /** Resolves with the first payload of `name` that passes `filter` (all pass when none is given). */
  once<K extends keyof M>(name: K, filter: (payload: M[K]) => boolean = () => true): Promise<M[K]> {
    return new Promise((resolve) => {
      const unsubscribe = this.on(name, (payload) => {
        if (!filter(payload)) return;
        unsubscribe();
        resolve(payload);
      });
    });
  }

  emit<K extends keyof M>(name: K, payload: M[K]): void {
    const set = this.listeners.get(name);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as EventListener<M, K>)(payload);
      } catch {
        // An observer's failure must not break the worker.
      }
    }
  }

  /** Emits a payload built only when someone listens: for payloads that cost a copy per job. */
  emitLazy<K extends keyof M>(name: K, payload: () => M[K]): void {
    if (this.listenerCount(name) > 0) this.emit(name, payload());
  }

  listenerCount(name: keyof M): number {
    return this.listeners.get(name)?.size ?? 0;
  }
}
