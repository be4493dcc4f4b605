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
  /** A job reached a terminal state (succeeded, failed, cancelled), with the whole job. `remote`
   * as above. A backend reads finished rows back only while some listener wants them: a relayed
   * one costs a read per job finished anywhere in the fleet, so listeners that only count their
   * own process's work subscribe with `{ local: true }`, and waiters use `job:ended`. */
  'job:finished': { job: Job; remote?: true };
  /** The same moment by id only, local or relayed; every `job:finished` also emits it. The cheap
   * event: no backend reads a row back for it (a waiter re-reads the one job it waits for). */
  'job:ended': { id: string; remote?: true };
  /** A running job was cancelled: a worker holding it should abort the handler. */
  'job:cancelled': { id: string };
  /** A job went back to waiting: a failed attempt scheduled for retry, a reclaimed lease, a redrive. */
  'job:requeued': { id: string; queue: string };
  'job:progress': { id: string; progress: unknown };
  /** Events were appended to a job's log (capabilities.eventLog), `seq` the newest: a wake-up for
   * streams, which read the log itself. Emitted after the commit in the process that wrote; a
   * backend may relay some from other processes (`remote`), riding messages it sends anyway. */
  'events:appended': { id: string; queue: string; seq: number; remote?: true };
  'queue:paused': { queue: string; paused: boolean };
}

export type SluiceEventName = keyof SluiceEventMap;
type Listener<K extends SluiceEventName> = (payload: SluiceEventMap[K]) => void;

export interface ListenOptions {
  /** Only this process's changes: relayed (`remote`) payloads skip the listener, and a backend does
   * not fetch anything to relay for it. */
  local?: boolean | undefined;
}

/** A small typed event emitter: core stays free of node imports. Listener errors are isolated. */
export class SluiceEvents {
  private readonly listeners = new Map<SluiceEventName, Set<Listener<never>>>();
  /** The subset of `listeners` subscribed with `{ local: true }`. */
  private readonly localOnly = new Map<SluiceEventName, Set<Listener<never>>>();

  /** Starts relaying other processes' changes, for a backend that relays on demand (relayOnDemand). */
  private relaySource: (() => Promise<void>) | undefined;
  private relayStarted: Promise<void> | undefined;

  on<K extends SluiceEventName>(name: K, listener: Listener<K>, options: ListenOptions = {}): () => void {
    setOf(this.listeners, name).add(listener as Listener<never>);
    if (options.local) setOf(this.localOnly, name).add(listener as Listener<never>);
    else void this.relaying();
    return () => this.off(name, listener);
  }

  /**
   * For a backend that relays other processes' changes only once someone here takes them: Redis
   * delivers every message of the fleet to every subscriber, the sender included, and a process
   * that only enqueues has no use for them. `start` runs once, at the first listener that
   * takes relayed payloads (not `{ local: true }`) or the first `relaying()`, whichever comes first.
   */
  relayOnDemand(start: () => Promise<void>): void {
    this.relaySource = start;
  }

  /**
   * Starts the relay if it waits for demand and resolves once relayed changes flow: changes other
   * processes make after that reach these listeners. At once for a backend that relays from its
   * opening, or not at all. Never rejects (relayed changes are wake-ups, and every waiter also
   * polls): a relay that failed to start is tried again at the next call.
   */
  relaying(): Promise<void> {
    if (this.relaySource === undefined) return Promise.resolve();
    if (this.relayStarted === undefined) {
      this.relayStarted = this.relaySource().catch(() => {
        this.relayStarted = undefined;
      });
    }
    return this.relayStarted;
  }

  off<K extends SluiceEventName>(name: K, listener: Listener<K>): void {
    this.listeners.get(name)?.delete(listener as Listener<never>);
    this.localOnly.get(name)?.delete(listener as Listener<never>);
  }

  emit<K extends SluiceEventName>(name: K, payload: SluiceEventMap[K]): void {
    const set = this.listeners.get(name);
    if (set && set.size > 0) {
      const remote = (payload as { remote?: true }).remote === true;
      const localOnly = this.localOnly.get(name);
      for (const listener of [...set]) {
        if (remote && localOnly?.has(listener)) continue;
        try {
          (listener as Listener<K>)(payload);
        } catch {
          // A listener's failure must not break the write path that emitted the event.
        }
      }
    }
    // Every completion passes here: the derived event costs nothing while nobody listens for it.
    if (name === 'job:finished' && this.listenerCount('job:ended') > 0) {
      const { job, remote } = payload as SluiceEventMap['job:finished'];
      this.emit('job:ended', remote ? { id: job.id, remote } : { id: job.id });
    }
  }

  listenerCount(name: SluiceEventName): number {
    return this.listeners.get(name)?.size ?? 0;
  }

  /** Listeners that take relayed payloads: what a backend must fetch and relay for. */
  remoteListenerCount(name: SluiceEventName): number {
    return this.listenerCount(name) - (this.localOnly.get(name)?.size ?? 0);
  }

  /** Announces jobs that ended when nobody wanted their rows (`job:finished` unsent): `job:ended` only. */
  emitEnded(ids: Iterable<string>, remote?: true): void {
    if (this.listenerCount('job:ended') === 0) return;
    for (const id of ids) this.emit('job:ended', remote ? { id, remote } : { id });
  }
}

function setOf<V>(map: Map<SluiceEventName, Set<V>>, name: SluiceEventName): Set<V> {
  let set = map.get(name);
  if (!set) {
    set = new Set();
    map.set(name, set);
  }
  return set;
}
