import type { ClaimedJob } from '../../../src/core/job.js';
import { DEFAULT_BACKOFF } from '../../../src/core/job-spec.js';
import type { HandlerContext } from '../../../src/worker/handler.js';

/** A claimed job around `input`, as a worker would hand it to a handler. */
export function claimedJob(type: string, input: unknown): ClaimedJob {
  const now = Date.now();
  return {
    id: '0190b6a0-0000-7000-8000-000000000000',
    type,
    queue: 'default',
    status: 'running',
    input,
    priority: 0,
    attempts: 1,
    maxAttempts: 3,
    backoff: DEFAULT_BACKOFF,
    createdAt: now,
    runAt: now,
    startedAt: now,
    updatedAt: now,
    leaseToken: 'lease-token',
    leaseExpiresAt: now + 30_000,
    workerId: 'test-worker',
  };
}

/** A handler context for `input` (deliberately untyped: handlers must check what they get). The
 * progress reports are recorded in `reports`, the emitted chunks in `chunks`. */
export function handlerContext<Input>(
  type: string,
  input: unknown,
  signal: AbortSignal = new AbortController().signal,
): HandlerContext<Input> & { reports: unknown[]; chunks: unknown[] } {
  const reports: unknown[] = [];
  const chunks: unknown[] = [];
  return {
    job: claimedJob(type, input) as ClaimedJob & { input: Input },
    signal,
    reports,
    chunks,
    progress: async (progress: unknown) => {
      reports.push(progress);
    },
    emit: (chunk: unknown) => {
      chunks.push(chunk);
    },
  };
}
