import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { SluiceError } from '../core/errors.js';

/** Error code of a streamed answer that broke after its first token (transient: the job retries). */
export const PROVIDER_STREAM_INTERRUPTED = 'SLUICE_PROVIDER_STREAM_INTERRUPTED';

/**
 * A streamed answer broke after part of it reached the handler (and so the job's event log). The
 * pool does not fail over from it: another provider would start the text again within the same
 * attempt, and a reader would see it twice. The attempt fails instead; the retry is a new attempt,
 * whose deltas carry its own `attempt` number.
 */
export class ProviderStreamInterruptedError extends SluiceError {
  constructor(message: string, cause: unknown) {
    super(PROVIDER_STREAM_INTERRUPTED, message, { cause });
  }
}

/** How a failed provider call counts: fail over (`server`, `timeout`, `connection`, `rate-limited`) or give up (`client`). */
export type FailureKind = 'server' | 'timeout' | 'connection' | 'rate-limited' | 'client' | 'aborted';

export interface ClassifiedFailure {
  kind: FailureKind;
  status?: number;
  /** For `rate-limited`: how long the provider asked us to wait. */
  retryAfterMs?: number;
  message: string;
}

/** Used when a 429 carries no usable header. */
export const DEFAULT_RETRY_AFTER_MS = 1_000;

/** Sorts an error from the openai client (or fetch) into a FailureKind. */
export function classifyFailure(error: unknown): ClassifiedFailure {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof APIUserAbortError) return { kind: 'aborted', message };
  if (error instanceof APIConnectionTimeoutError) return { kind: 'timeout', message };
  if (error instanceof APIConnectionError) return { kind: 'connection', message };
  if (error instanceof APIError && typeof error.status === 'number') {
    const status = error.status;
    if (status === 429) return { kind: 'rate-limited', status, retryAfterMs: retryAfterMs(error.headers), message };
    // 408 (request timeout) and 409 (OpenAI's "conflict, try again") are transient like 5xx.
    if (status >= 500 || status === 408 || status === 409) return { kind: 'server', status, message };
    return { kind: 'client', status, message };
  }
  return { kind: 'connection', message };
}

/**
 * The wait a 429 asks for: `retry-after-ms`, `retry-after` (seconds or an HTTP date), else the
 * later of `x-ratelimit-reset-requests` / `x-ratelimit-reset-tokens` (`1s`, `6m0s`, `20ms`).
 */
export function retryAfterMs(headers: Headers | undefined, now: number = Date.now()): number {
  if (!headers) return DEFAULT_RETRY_AFTER_MS;
  const ms = Number(headers.get('retry-after-ms'));
  if (headers.get('retry-after-ms') !== null && Number.isFinite(ms) && ms >= 0) return ms;
  const after = headers.get('retry-after');
  if (after !== null) {
    const seconds = Number(after);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const date = Date.parse(after);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  const resets = ['x-ratelimit-reset-requests', 'x-ratelimit-reset-tokens']
    .map((name) => parseResetDuration(headers.get(name)))
    .filter((value): value is number => value !== undefined);
  return resets.length > 0 ? Math.max(...resets) : DEFAULT_RETRY_AFTER_MS;
}

/** `6m0s`, `1.5s`, `20ms`, `1h2m` → milliseconds; undefined when unreadable. */
export function parseResetDuration(value: string | null): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  let total = 0;
  let matched = '';
  for (const match of value.trim().matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) {
    total += Number(match[1]) * (units[match[2] ?? 's'] ?? 0);
    matched += match[0];
  }
  if (matched === value.trim()) return total;
  const seconds = Number(value);
  return Number.isFinite(seconds) ? seconds * 1000 : undefined;
}
