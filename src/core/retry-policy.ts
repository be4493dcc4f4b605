import { ErrorCodes, hasErrorCode } from './errors.js';
import type { BackoffPolicy, ClaimedJob, JobError } from './job.js';

/**
 * Delay before retry number `attempt` (1 = the retry after the first failure).
 * Exponential backoff capped at maxDelayMs, with full jitter: uniform in [0, capped].
 * `random` is injectable so tests are exact.
 */
export function backoffDelayMs(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const exponent = Math.max(0, attempt - 1);
  const raw = policy.type === 'fixed' ? policy.delayMs : policy.delayMs * 2 ** Math.min(exponent, 52);
  const capped = Math.min(raw, policy.maxDelayMs);
  return policy.jitter === 'full' ? Math.floor(random() * capped) : capped;
}

/** What to do with a job whose attempt failed. */
export type FailureDecision = { kind: 'retry'; delayMs: number; error: JobError } | { kind: 'fail'; error: JobError };

/**
 * Classifies a handler failure. PermanentError fails at once; RateLimitedError retries after the
 * provider's retry-after; anything else is transient and retries with backoff until attempts run out.
 */
export function decideFailure(
  job: Pick<ClaimedJob, 'attempts' | 'maxAttempts' | 'backoff'>,
  thrown: unknown,
  random?: () => number,
): FailureDecision {
  const error = toJobError(thrown);
  if (hasErrorCode(thrown, ErrorCodes.permanent)) return { kind: 'fail', error: { ...error, permanent: true } };
  if (job.attempts >= job.maxAttempts) return { kind: 'fail', error };
  const retryAfter = (thrown as { retryAfterMs?: unknown } | null)?.retryAfterMs;
  if (hasErrorCode(thrown, ErrorCodes.rateLimited) && typeof retryAfter === 'number') {
    return { kind: 'retry', delayMs: retryAfter, error };
  }
  return { kind: 'retry', delayMs: backoffDelayMs(job.backoff, job.attempts, random), error };
}

/** The storable form of whatever a handler threw. */
export function toJobError(thrown: unknown): JobError {
  // Errors may arrive as plain objects (from worker threads, other processes, careless handlers).
  if (typeof thrown === 'object' && thrown !== null) {
    const { code, message, name } = thrown as { code?: unknown; message?: unknown; name?: unknown };
    const text =
      typeof message === 'string' && message !== '' ? message : typeof name === 'string' ? name : safeStringify(thrown);
    return {
      code: typeof code === 'string' && code.startsWith('SLUICE_') ? code : ErrorCodes.handlerFailed,
      message: truncate(text, 2000),
    };
  }
  return { code: ErrorCodes.handlerFailed, message: truncate(String(thrown), 2000) };
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
