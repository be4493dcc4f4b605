import { compareClaimOrder } from '../../core/job.js';
import type { BrokerDelivery } from './broker.js';

/** Whether a claim can take a delivery (its queues and types). */
export type DeliveryFilter<D> = (delivery: D) => boolean;

/** How long a claim waits for deliveries (see `waitFor`). */
export interface WaitOptions {
  settleMs: number;
  maxWaitMs: number;
}

/**
 * Deliveries held for claims (not yet leased, acked or given back), and the claims waiting for
 * more. Each waiter says whether it takes a delivery; `undefined` tells every waiter that the
 * connection is gone or the handle closed.
 */
export class DeliveryBuffer<D extends BrokerDelivery> {
  private readonly items: D[] = [];
  private readonly waiters = new Set<(delivery: D | undefined) => boolean>();
  /** Types some claim on this handle asked for (undefined: any): deliveries of other types go back. */
  private acceptedTypes: Set<string> | undefined = new Set();

  /** Records the types a claim asked for (undefined: every type, from then on). */
  acceptTypes(types: readonly string[] | undefined): void {
    if (types === undefined) this.acceptedTypes = undefined;
    else if (this.acceptedTypes !== undefined) for (const type of types) this.acceptedTypes.add(type);
  }

  /** Whether some claim here runs this type (else the delivery is another consumer's). */
  accepts(type: string): boolean {
    return this.acceptedTypes === undefined || this.acceptedTypes.has(type);
  }

  /** Keeps a delivery; says whether a waiting claim takes it (then it needs no wake-up). */
  add(delivery: D): boolean {
    this.items.push(delivery);
    let taken = false;
    for (const waiter of [...this.waiters]) if (waiter(delivery)) taken = true;
    return taken;
  }

  count(matches: DeliveryFilter<D>): number {
    let n = 0;
    for (const d of this.items) if (matches(d)) n++;
    return n;
  }

  /** Removes and returns up to `limit` matching deliveries, in claim order. */
  take(matches: DeliveryFilter<D>, limit: number): D[] {
    const candidates = this.items.filter(matches);
    candidates.sort((a, b) => compareClaimOrder(a.message, b.message));
    const taken = candidates.slice(0, limit);
    this.remove(new Set(taken));
    return taken;
  }

  /** Removes and returns the deliveries of one queue (to give back when it stops being consumed). */
  takeQueue(queue: string): D[] {
    const taken = this.items.filter((d) => d.message.queue === queue);
    this.remove(new Set(taken));
    return taken;
  }

  /** Forgets every delivery (their connection is gone: the broker redelivers them) and ends every wait. */
  clear(): void {
    this.items.length = 0;
    this.endWaits();
  }

  /** Ends every wait now (the handle closes). */
  endWaits(): void {
    for (const waiter of [...this.waiters]) waiter(undefined);
  }

  /**
   * Resolves when the claim has something to take, never blocking long (a claim is a short poll):
   * - at once when `limit` matching deliveries are buffered, or (settle 0, the default) when any is,
   *   or when `connected` is false;
   * - with none buffered, at the first matching delivery (every delivery of one socket read is
   *   buffered by the time the claim resumes, so a burst is still leased in one store call);
   * - with a settle time, not before deliveries went quiet for that long (tests of claim order);
   * - in any case at the maximum wait.
   */
  waitFor(matches: DeliveryFilter<D>, limit: number, connected: boolean, options: WaitOptions): Promise<void> {
    const { settleMs, maxWaitMs } = options;
    const have = this.count(matches);
    if (have >= limit || !connected || (have > 0 && settleMs <= 0)) return Promise.resolve();
    return new Promise((resolve) => {
      let quiet: NodeJS.Timeout | undefined;
      const finish = () => {
        clearTimeout(quiet);
        clearTimeout(hard);
        this.waiters.delete(onDelivery);
        resolve();
      };
      // Returns whether the claim takes this delivery (then no separate wake-up is needed for it).
      const onDelivery = (d: D | undefined): boolean => {
        if (d === undefined) {
          finish(); // connection gone or handle closed
          return false;
        }
        if (!matches(d)) return false;
        if (settleMs <= 0 || this.count(matches) >= limit) {
          finish();
          return true;
        }
        clearTimeout(quiet);
        quiet = setTimeout(finish, settleMs);
        return true;
      };
      if (settleMs > 0) quiet = setTimeout(finish, settleMs);
      const hard = setTimeout(finish, maxWaitMs);
      this.waiters.add(onDelivery);
    });
  }

  private remove(set: ReadonlySet<D>): void {
    if (set.size === 0) return;
    for (let i = this.items.length - 1; i >= 0; i--) if (set.has(this.items[i]!)) this.items.splice(i, 1);
  }
}
