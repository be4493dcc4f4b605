/** Time source. Production uses the system clock; tests inject a fake so that time-dependent logic
 * (backoff, leases, retention) runs without sleeps. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
