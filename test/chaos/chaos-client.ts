import { setTimeout as delay } from 'node:timers/promises';
import type { CallRecord, FinalJob } from './history.js';

/** A client that submits through faults the way a careful one would: every submission carries an
 * idempotency key, a call that fails, answers 5xx or gives no answer within `callTimeoutMs` is
 * retried with the same key until it is acknowledged or `giveUpAfterMs` has passed. Every call is
 * recorded for the history checker. */
export interface SubmitOptions {
  /** The API's base URL, read before each call (a restarted API may move). */
  url: () => string;
  callTimeoutMs: number;
  giveUpAfterMs: number;
  concurrency: number;
  /** No submission starts after this time (epoch ms): a hanging API cannot stretch a run without end. */
  stopAt: number;
}

export async function submitAll(
  submissions: Array<{ key: string; spec: object }>,
  options: SubmitOptions,
  calls: CallRecord[],
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < submissions.length && Date.now() < options.stopAt) {
      const submission = submissions[next++]!;
      await submitOne(submission, options, calls);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, lane));
}

async function submitOne(
  { key, spec }: { key: string; spec: object },
  options: SubmitOptions,
  calls: CallRecord[],
): Promise<void> {
  const deadline = Math.min(Date.now() + options.giveUpAfterMs, options.stopAt);
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    const call = await timedCall(
      `${options.url()}/v1/jobs`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify(spec),
      },
      options.callTimeoutMs,
    );
    const record: CallRecord = { key, spec, startedAt: call.startedAt, endedAt: call.endedAt, outcome: call.outcome };
    if (call.status !== undefined) record.status = call.status;
    if (call.outcome === 'answered' && (call.status === 202 || call.status === 200)) {
      const id = (call.body as { id?: unknown } | undefined)?.id;
      if (typeof id === 'string') {
        record.outcome = 'acked';
        record.jobId = id;
      }
    }
    calls.push(record);
    if (record.outcome === 'acked') return;
    // A 4xx other than 429 will not change on retry: the spec itself was refused.
    if (call.status !== undefined && call.status >= 400 && call.status < 500 && call.status !== 429) return;
    await delay(Math.min(50 * 2 ** attempt, 500));
  }
}

interface TimedCall {
  startedAt: number;
  endedAt: number;
  outcome: 'answered' | 'error' | 'hung';
  status?: number;
  body?: unknown;
}

/** One HTTP call bounded by `timeoutMs`: an answer, a connection error, or `hung`. */
export async function timedCall(url: string, init: RequestInit, timeoutMs: number): Promise<TimedCall> {
  const startedAt = Date.now();
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const res = await fetch(url, { ...init, signal });
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
    return { startedAt, endedAt: Date.now(), outcome: 'answered', status: res.status, body };
  } catch (error) {
    const hung = signal.aborted;
    return { startedAt, endedAt: Date.now(), outcome: hung ? 'hung' : 'error', ...(hung ? {} : { body: String(error) }) };
  }
}

/**
 * Reads every acknowledged job until it ends or `boundMs` passes (then the last state is kept, and
 * the checker calls it stuck). A job the API answers 404 for is left out (lost). Reads that fail
 * are retried: the faults are over, but a backend may still be reconnecting.
 */
export async function readFinals(
  url: () => string,
  ids: string[],
  boundMs: number,
  calls: CallRecord[],
): Promise<Map<string, FinalJob>> {
  const finals = new Map<string, FinalJob>();
  const deadline = Date.now() + boundMs;
  let pending = [...new Set(ids)];
  // A job never read (the API did not answer) counts as stuck, not lost: only a 404 is lost.
  for (const id of pending) finals.set(id, { id, status: 'unread', attempts: 0 });
  while (pending.length > 0) {
    const still: string[] = [];
    // Eight reads at a time, each bounded: a pass ends within the bound even if the API hangs.
    let next = 0;
    const lane = async () => {
      while (next < pending.length && Date.now() < deadline + 10_000) {
        const id = pending[next++]!;
        // The same bound as submissions: above the backends' own call bounds (Redis 5 s commands, …).
        const call = await timedCall(`${url()}/v1/jobs/${id}`, {}, 10_000);
        if (call.outcome === 'hung') calls.push({ key: `read ${id}`, spec: null, ...call });
        if (call.status === 404) {
          finals.delete(id);
          continue;
        }
        if (call.status === 200) {
          const job = call.body as FinalJob;
          finals.set(id, job);
          if (['succeeded', 'failed', 'cancelled'].includes(job.status)) continue;
        }
        still.push(id);
      }
    };
    await Promise.all(Array.from({ length: 8 }, lane));
    pending = [...still, ...pending.slice(next)];
    if (pending.length === 0 || Date.now() > deadline) break;
    await delay(200);
  }
  return finals;
}

/** Every job of a queue, page by page (to find an idempotency key that made two jobs). */
export async function listQueue(url: string, queue: string): Promise<FinalJob[]> {
  const jobs: FinalJob[] = [];
  let cursor: string | undefined;
  do {
    const query = new URLSearchParams({ queue, limit: '500', ...(cursor ? { cursor } : {}) });
    const call = await timedCall(`${url}/v1/jobs?${query}`, {}, 10_000);
    if (call.status !== 200) throw new Error(`GET /v1/jobs answered ${call.status ?? call.outcome}`);
    const page = call.body as { jobs: FinalJob[]; nextCursor?: string };
    jobs.push(...page.jobs);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return jobs;
}
