import type { BucketRequest, RateBudgetResult, RateLimitStore } from './rate-limit-store.js';

export interface ProviderLimiterOptions {
  /** Names the provider's buckets in the store (`provider:<name>`). */
  scope: string;
  /** Requests per minute; undefined = no request limit. */
  rpm?: number | undefined;
  /** Tokens per minute; undefined = no token limit. */
  tpm?: number | undefined;
  /** Bucket size in seconds of rate (how much may go at once after a quiet spell). Default 10. */
  burstSeconds?: number;
  /** Multiplicative decrease on a 429. Default 0.5. */
  decreaseMultiplier?: number;
  /** The factor never goes below this. Default 0.05. */
  minFactor?: number;
  /** Additive increase per success. Default 0.05 (twenty successes from half rate back to full). */
  increaseStep?: number;
}

/**
 * One provider's requests-per-minute and tokens-per-minute budgets with AIMD adaptation, kept in a
 * RateLimitStore (shared by every limiter that uses the same store and scope).
 *
 * - `tryAcquire(tokens)` takes one request and `tokens` estimated tokens, or says how long to wait.
 * - `reconcile(estimated, actual)` corrects the token bucket with the response's `usage`.
 * - `rateLimited(retryAfterMs)` halves the rate and pauses until the provider's reset;
 *   `succeeded()` adds back a step, up to the configured rate.
 */
export class ProviderLimiter {
  readonly scope: string;
  private readonly rpm: BucketRequest | undefined;
  private readonly tpm: BucketRequest | undefined;
  private readonly decreaseMultiplier: number;
  private readonly minFactor: number;
  private readonly increaseStep: number;

  constructor(
    private readonly store: RateLimitStore,
    options: ProviderLimiterOptions,
  ) {
    this.scope = options.scope;
    const burstSeconds = options.burstSeconds ?? 10;
    const bucket = (kind: string, perMinute: number | undefined): BucketRequest | undefined =>
      perMinute === undefined
        ? undefined
        : {
            key: `${options.scope}:${kind}`,
            cost: 0,
            ratePerMinute: perMinute,
            burst: Math.max(1, (perMinute * burstSeconds) / 60),
          };
    this.rpm = bucket('rpm', options.rpm);
    this.tpm = bucket('tpm', options.tpm);
    this.decreaseMultiplier = options.decreaseMultiplier ?? 0.5;
    this.minFactor = options.minFactor ?? 0.05;
    this.increaseStep = options.increaseStep ?? 0.05;
  }

  /** True when this limiter has any budget to keep (else every call is free). */
  get limited(): boolean {
    return this.rpm !== undefined || this.tpm !== undefined;
  }

  /** Takes one request and `tokens` from the budgets, all or nothing; or says how long to wait. */
  tryAcquire(tokens: number): Promise<RateBudgetResult> {
    const buckets: BucketRequest[] = [];
    if (this.rpm) buckets.push({ ...this.rpm, cost: 1 });
    if (this.tpm) buckets.push({ ...this.tpm, cost: Math.max(0, tokens) });
    return this.store.update({ scope: this.scope, action: { kind: 'acquire', buckets } });
  }

  /** Gives back (or takes more of) the token budget once the real usage is known. */
  async reconcile(estimatedTokens: number, actualTokens: number): Promise<void> {
    if (!this.tpm || estimatedTokens === actualTokens) return;
    await this.store.update({
      scope: this.scope,
      action: { kind: 'adjust', bucket: this.tpm, delta: estimatedTokens - actualTokens },
    });
  }

  /** A 429: multiplicative decrease, and no calls until the provider's reset. */
  rateLimited(retryAfterMs: number): Promise<RateBudgetResult> {
    return this.store.update({
      scope: this.scope,
      action: { kind: 'decrease', multiplier: this.decreaseMultiplier, minFactor: this.minFactor, blockMs: retryAfterMs },
    });
  }

  /** A success: additive increase back towards the configured rate. */
  async succeeded(): Promise<void> {
    await this.store.update({ scope: this.scope, action: { kind: 'increase', step: this.increaseStep } });
  }

  state(): Promise<RateBudgetResult> {
    return this.store.update({ scope: this.scope, action: { kind: 'read' } });
  }
}
