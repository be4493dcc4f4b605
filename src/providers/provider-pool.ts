import {
  BrokenCircuitError,
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
  IsolatedCircuitError,
} from 'cockatiel';
import OpenAI from 'openai';
import { PermanentError, RateLimitedError, SluiceError } from '../core/errors.js';
import type { ProviderConfig } from './provider-config.js';
import { type ClassifiedFailure, classifyFailure, ProviderStreamInterruptedError } from './provider-errors.js';
import { MemoryRateLimitStore, type RateBudgetResult, type RateLimitStore } from './rate-limit-store.js';
import { ProviderLimiter } from './rate-limiter.js';

/** Error code of a call that every provider failed (transient: the job retries with backoff). */
export const PROVIDER_UNAVAILABLE = 'SLUICE_PROVIDER_UNAVAILABLE';

/** `least-outstanding` (default): the provider with the fewest requests in flight per unit of weight. `weighted`: random by weight. */
export type PoolStrategy = 'weighted' | 'least-outstanding';

/** Token counts of one call, as the provider reported them. */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
}

/** What happens inside the pool, for tests, logs and metrics. */
export type PoolEvent =
  | { type: 'success'; provider: string; model: string; usage: TokenUsage }
  | { type: 'failure'; provider: string; model: string; failure: ClassifiedFailure }
  | { type: 'skipped'; provider: string; model: string; reason: 'circuit-open' }
  | { type: 'circuit'; provider: string; state: 'open' | 'half-open' | 'closed' }
  | { type: 'waiting'; model: string; waitMs: number };

export interface ProviderPoolOptions {
  strategy?: PoolStrategy;
  /** Consecutive failures (5xx, timeouts, connection errors) that open a provider's circuit. Default 5. */
  breakerThreshold?: number;
  /** How long an open circuit stays open before one trial call. Default 10 s. */
  halfOpenAfterMs?: number;
  /** Where rpm/tpm budgets live. Default: an in-process store (limits per worker process);
   * `backendRateLimitStore(backend)` shares them across the fleet. */
  rateLimitStore?: RateLimitStore;
  /** Longest wait for budget inside one attempt; beyond it the call throws RateLimitedError. Default 30 s. */
  maxBudgetWaitMs?: number;
  /** AIMD tuning, see ProviderLimiter. */
  decreaseMultiplier?: number;
  increaseStep?: number;
  now?: () => number;
  random?: () => number;
  onEvent?: (event: PoolEvent) => void;
}

/** One provider inside the pool. */
export interface PoolMember {
  readonly config: ProviderConfig;
  readonly client: OpenAI;
  readonly limiter: ProviderLimiter;
  readonly breaker: CircuitBreakerPolicy;
  outstanding: number;
}

export interface PoolRequest {
  model: string;
  /** Tokens the call is expected to use (prompt estimate + max output), drawn from the tpm budget. */
  estimatedTokens: number;
  signal?: AbortSignal | undefined;
}

export interface PoolCallResult<T> {
  value: T;
  usage: TokenUsage;
}

export interface PoolResult<T> extends PoolCallResult<T> {
  /** Name of the provider that served the call. */
  provider: string;
  /** Dollars, when the provider has a price table. */
  costUsd?: number;
}

/**
 * Several OpenAI-compatible providers behind one call. Per call: the providers serving the model
 * are ordered by the strategy; each is skipped while its circuit is open, its concurrency is full
 * or its rate budget is empty; a 5xx, timeout, connection error or 429 moves on to the next
 * provider within the same attempt; any other 4xx is a PermanentError. A streamed answer that
 * breaks after its first token ends the attempt (ProviderStreamInterruptedError), with no failover. When every provider failed,
 * all with 429s, the call throws RateLimitedError with the smallest retry-after; when only budget is
 * missing, it waits (not a failure) up to `maxBudgetWaitMs`.
 */
export class ProviderPool {
  readonly members: readonly PoolMember[];
  private readonly strategy: PoolStrategy;
  private readonly maxBudgetWaitMs: number;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly onEvent: (event: PoolEvent) => void;
  private slotWaiters: Array<() => void> = [];

  constructor(providers: readonly ProviderConfig[], options: ProviderPoolOptions = {}) {
    this.strategy = options.strategy ?? 'least-outstanding';
    this.maxBudgetWaitMs = options.maxBudgetWaitMs ?? 30_000;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.onEvent = options.onEvent ?? (() => {});
    const store = options.rateLimitStore ?? new MemoryRateLimitStore({ now: this.now });
    this.members = providers.map((config) => {
      const breaker = circuitBreaker(
        handleWhen((error) => {
          const kind = classifyFailure(error).kind;
          return kind === 'server' || kind === 'timeout' || kind === 'connection';
        }),
        { halfOpenAfter: options.halfOpenAfterMs ?? 10_000, breaker: new ConsecutiveBreaker(options.breakerThreshold ?? 5) },
      );
      breaker.onBreak(() => this.onEvent({ type: 'circuit', provider: config.name, state: 'open' }));
      breaker.onHalfOpen(() => this.onEvent({ type: 'circuit', provider: config.name, state: 'half-open' }));
      breaker.onReset(() => this.onEvent({ type: 'circuit', provider: config.name, state: 'closed' }));
      const limiterOptions = {
        scope: `provider:${config.name}`,
        rpm: config.rpm,
        tpm: config.tpm,
        ...(options.decreaseMultiplier === undefined ? {} : { decreaseMultiplier: options.decreaseMultiplier }),
        ...(options.increaseStep === undefined ? {} : { increaseStep: options.increaseStep }),
      };
      return {
        config,
        client: new OpenAI({
          baseURL: config.baseUrl,
          // Local servers (vLLM, Ollama, the mock) take any key; the client insists on one.
          apiKey: config.apiKey ?? 'sluice-no-key',
          maxRetries: 0, // Sluice owns retries: every attempt counts against the budgets.
          timeout: config.timeoutMs,
        }),
        limiter: new ProviderLimiter(store, limiterOptions),
        breaker,
        outstanding: 0,
      };
    });
  }

  /** Model names served by at least one provider. */
  get models(): string[] {
    return [...new Set(this.members.flatMap((member) => member.config.models))];
  }

  member(name: string): PoolMember | undefined {
    return this.members.find((member) => member.config.name === name);
  }

  /** Runs `call` on one provider serving `request.model`, failing over as described on the class. */
  async run<T>(
    request: PoolRequest,
    call: (member: PoolMember, signal: AbortSignal) => Promise<PoolCallResult<T>>,
  ): Promise<PoolResult<T>> {
    const candidates = this.members.filter((member) => member.config.models.includes(request.model));
    if (candidates.length === 0) {
      throw new PermanentError(`no provider serves model "${request.model}" (configured: ${this.models.join(', ') || 'none'})`, {
        field: 'input.model',
      });
    }
    const signal = request.signal ?? new AbortController().signal;
    const deadline = this.now() + this.maxBudgetWaitMs;
    const failures = new Map<string, ClassifiedFailure>();
    for (;;) {
      throwIfAborted(signal);
      let waitMs = Number.POSITIVE_INFINITY;
      let waitForSlot = false;
      for (const member of this.order(candidates)) {
        const name = member.config.name;
        if (failures.has(name)) continue;
        if (member.breaker.state === CircuitState.Open || member.breaker.state === CircuitState.Isolated) {
          failures.set(name, { kind: 'server', message: 'circuit open' });
          this.onEvent({ type: 'skipped', provider: name, model: request.model, reason: 'circuit-open' });
          continue;
        }
        if (member.config.maxConcurrency !== undefined && member.outstanding >= member.config.maxConcurrency) {
          waitForSlot = true;
          continue;
        }
        // The slot is taken before the first await, so that concurrent calls see it at once.
        member.outstanding += 1;
        let budget: RateBudgetResult;
        try {
          budget = await member.limiter.tryAcquire(request.estimatedTokens);
        } catch (error) {
          this.releaseSlot(member);
          throw error;
        }
        if (!budget.granted) {
          this.releaseSlot(member);
          waitMs = Math.min(waitMs, budget.waitMs);
          continue;
        }
        const outcome = await this.attempt(member, request, signal, call);
        if (outcome.ok) return outcome.result;
        failures.set(name, outcome.failure);
      }
      if (failures.size === candidates.length) throw this.allFailed(request.model, failures);
      // Some provider is only short of budget or of a free slot: wait (not a failure), then go again.
      const delay = Math.max(1, Math.min(waitMs, waitForSlot ? 1_000 : Number.POSITIVE_INFINITY));
      if (this.now() + delay > deadline) {
        throw new RateLimitedError(`no budget for model "${request.model}" within ${this.maxBudgetWaitMs} ms`, delay);
      }
      this.onEvent({ type: 'waiting', model: request.model, waitMs: delay });
      await this.pause(delay, waitForSlot, signal);
    }
  }

  private releaseSlot(member: PoolMember): void {
    member.outstanding -= 1;
    for (const wake of this.slotWaiters.splice(0)) wake();
  }

  /** One call on one provider (its slot and budget already taken): success, or a classified
   * failure that the caller fails over from. Throws only what must end the attempt. */
  private async attempt<T>(
    member: PoolMember,
    request: PoolRequest,
    signal: AbortSignal,
    call: (member: PoolMember, signal: AbortSignal) => Promise<PoolCallResult<T>>,
  ): Promise<{ ok: true; result: PoolResult<T> } | { ok: false; failure: ClassifiedFailure }> {
    const name = member.config.name;
    try {
      const result = await member.breaker.execute(() => call(member, signal));
      await member.limiter.reconcile(request.estimatedTokens, result.usage.totalTokens);
      await member.limiter.succeeded();
      this.onEvent({ type: 'success', provider: name, model: request.model, usage: result.usage });
      const costUsd = priceOf(member.config, result.usage);
      return { ok: true, result: { ...result, provider: name, ...(costUsd === undefined ? {} : { costUsd }) } };
    } catch (error) {
      throwIfAborted(signal);
      if (error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError) {
        // Half-open with its one trial call already out: treat as open.
        this.onEvent({ type: 'skipped', provider: name, model: request.model, reason: 'circuit-open' });
        return { ok: false, failure: { kind: 'server', message: 'circuit open' } };
      }
      const failure = classifyFailure(error);
      this.onEvent({ type: 'failure', provider: name, model: request.model, failure });
      // Part of the answer was used: no failover, and the tokens drawn stay spent.
      if (error instanceof ProviderStreamInterruptedError) throw error;
      if (failure.kind === 'client') {
        throw new PermanentError(`provider ${name} rejected the request (${failure.status}): ${failure.message}`, {
          cause: error,
        });
      }
      // The provider did not serve it: the estimated tokens go back to the budget.
      await member.limiter.reconcile(request.estimatedTokens, 0);
      if (failure.kind === 'rate-limited') await member.limiter.rateLimited(failure.retryAfterMs ?? 0);
      return { ok: false, failure };
    } finally {
      this.releaseSlot(member);
    }
  }

  private allFailed(model: string, failures: Map<string, ClassifiedFailure>): SluiceError {
    const summary = [...failures]
      .map(([name, failure]) => `${name}: ${failure.status ?? failure.kind} ${failure.message}`)
      .join('; ');
    const all = [...failures.values()];
    if (all.every((failure) => failure.kind === 'rate-limited')) {
      const retryAfter = Math.min(...all.map((failure) => failure.retryAfterMs ?? 0));
      return new RateLimitedError(`every provider of model "${model}" is rate limited (${summary})`, retryAfter);
    }
    // Transient: the job retries with its backoff.
    return new SluiceError(PROVIDER_UNAVAILABLE, `every provider of model "${model}" failed (${summary})`);
  }

  /** Candidates in the order they are tried. */
  private order(candidates: PoolMember[]): PoolMember[] {
    if (this.strategy === 'least-outstanding') {
      return [...candidates].sort(
        (a, b) => a.outstanding / a.config.weight - b.outstanding / b.config.weight || b.config.weight - a.config.weight,
      );
    }
    // Weighted random order without replacement (Efraimidis–Spirakis keys).
    return candidates
      .map((member) => ({ member, key: Math.log(Math.max(this.random(), Number.MIN_VALUE)) / member.config.weight }))
      .sort((a, b) => b.key - a.key)
      .map(({ member }) => member);
  }

  private pause(ms: number, orSlot: boolean, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal.reason);
      };
      const timer = setTimeout(done, ms);
      if (orSlot) this.slotWaiters.push(done);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason;
}

function priceOf(config: ProviderConfig, usage: TokenUsage): number | undefined {
  if (!config.pricing) return undefined;
  return (usage.inputTokens * config.pricing.inputPerMTok + usage.outputTokens * config.pricing.outputPerMTok) / 1_000_000;
}
