/**
 * Rate-limit budgets (token buckets with an AIMD factor), as pure policy: the state of one scope
 * (a provider) and the actions on it. Stores only keep the state and apply `applyRateBudget`
 * atomically with their own clock: an in-process map, or a backend row shared by every worker.
 */

/** One token bucket to draw from: `ratePerMinute` refills it, `burst` is its size (both before the scope's factor). */
export interface BucketRequest {
  key: string;
  cost: number;
  ratePerMinute: number;
  burst: number;
}

/** What is stored per scope. */
export interface RateBudgetState {
  /** Multiplies every bucket's rate and size: 1 = the configured rate; lowered by 429s (AIMD). */
  factor: number;
  /** No grant before this time (the provider's retry-after). */
  blockedUntil: number;
  buckets: Record<string, { tokens: number; updatedAt: number }>;
}

export type RateBudgetAction =
  /** All or none: takes `cost` from every bucket when each holds min(cost, size) and the scope is not blocked. */
  | { kind: 'acquire'; buckets: BucketRequest[] }
  /** Adds `delta` tokens to a bucket (negative takes more): reconciles an estimate with real usage. */
  | { kind: 'adjust'; bucket: BucketRequest; delta: number }
  /** After a 429: factor *= multiplier (not below minFactor), buckets emptied, blocked for `blockMs`. */
  | { kind: 'decrease'; multiplier: number; minFactor: number; blockMs: number }
  /** After a success: factor += step, up to 1. */
  | { kind: 'increase'; step: number }
  | { kind: 'read' };

export interface RateBudgetResult {
  /** `acquire`: whether the cost was taken (true for every other action). */
  granted: boolean;
  /** `acquire` refused: how long until it could be granted. */
  waitMs: number;
  factor: number;
  blockedUntil: number;
}

export function emptyRateBudget(): RateBudgetState {
  return { factor: 1, blockedUntil: 0, buckets: {} };
}

/** Applies `action` to `state` (undefined: never used) at time `now`; returns the new state and the result. */
export function applyRateBudget(
  previous: RateBudgetState | undefined,
  action: RateBudgetAction,
  now: number,
): { state: RateBudgetState; result: RateBudgetResult } {
  const state: RateBudgetState = previous
    ? { factor: previous.factor, blockedUntil: previous.blockedUntil, buckets: { ...previous.buckets } }
    : emptyRateBudget();
  const done = (granted = true, waitMs = 0) => ({
    state,
    result: { granted, waitMs, factor: state.factor, blockedUntil: state.blockedUntil },
  });
  const bucket = (request: BucketRequest) => {
    const size = Math.max(1, request.burst * state.factor);
    const perMs = (request.ratePerMinute * state.factor) / 60_000;
    const stored = state.buckets[request.key];
    // A bucket starts full; then it refills at the (scaled) rate up to its (scaled) size.
    const tokens = stored ? Math.min(size, stored.tokens + Math.max(0, now - stored.updatedAt) * perMs) : size;
    const current = { tokens, updatedAt: Math.max(stored?.updatedAt ?? now, now) };
    state.buckets[request.key] = current;
    return { current, size, perMs };
  };

  switch (action.kind) {
    case 'acquire': {
      if (now < state.blockedUntil) return done(false, state.blockedUntil - now);
      let waitMs = 0;
      const refilled = action.buckets.map((request) => ({ request, ...bucket(request) }));
      for (const { request, current, size, perMs } of refilled) {
        const need = Math.min(request.cost, size);
        if (current.tokens < need) waitMs = Math.max(waitMs, perMs > 0 ? Math.ceil((need - current.tokens) / perMs) : 60_000);
      }
      if (waitMs > 0) return done(false, waitMs);
      for (const { request, current } of refilled) current.tokens -= request.cost;
      return done();
    }
    case 'adjust': {
      const { current, size } = bucket(action.bucket);
      current.tokens = Math.min(size, current.tokens + action.delta);
      return done();
    }
    case 'decrease': {
      state.factor = Math.max(action.minFactor, state.factor * action.multiplier);
      state.blockedUntil = Math.max(state.blockedUntil, now + Math.max(0, action.blockMs));
      // The buckets shrink with the factor: what they held is gone.
      for (const [key, value] of Object.entries(state.buckets)) {
        state.buckets[key] = { tokens: Math.min(value.tokens, 0), updatedAt: Math.max(value.updatedAt, now) };
      }
      return done();
    }
    case 'increase':
      state.factor = Math.min(1, state.factor + action.step);
      return done();
    case 'read':
      return done();
  }
}
