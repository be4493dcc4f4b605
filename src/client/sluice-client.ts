import { ErrorCodes, SluiceError } from '../core/errors.js';
import { isTerminal } from '../core/job.js';
import { isTerminalEvent, type JobEventJson } from '../core/job-event-json.js';
import type { JobJson } from '../core/job-json.js';
import type { JobSpec } from '../core/job-spec.js';
import { errorFromResponse, SluiceHttpError } from './http-error.js';
import { readSse } from './sse-reader.js';
import type { DeadLetterParams, JobPage, ListJobsParams, QueueList, QueueState, RedriveParams, RedriveResult } from './types.js';

export interface SluiceClientOptions {
  /** Server URL, e.g. `http://127.0.0.1:8080`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer KEY`. */
  apiKey?: string | undefined;
  /** A fetch implementation (default: the global one). */
  fetch?: typeof fetch | undefined;
  /** Longest single long-poll `waitFor` asks for, in seconds (the server's maxWaitSeconds caps it; default 30). */
  longPollSeconds?: number | undefined;
}

export interface RequestOptions {
  signal?: AbortSignal | undefined;
}

export interface EnqueueOptions extends RequestOptions {
  /** Sent as the Idempotency-Key header: a repeat returns the first job. */
  idempotencyKey?: string | undefined;
}

export interface GetOptions extends RequestOptions {
  /** Long-poll: the server answers when the job ends or after this many seconds. */
  waitSeconds?: number | undefined;
}

export interface WaitForOptions extends RequestOptions {
  /** Give up after this long: SluiceError SLUICE_TIMEOUT. Default 30 s. */
  timeoutMs?: number | undefined;
}

export interface EventsOptions extends RequestOptions {
  /** Only events with a higher seq (default 0: the whole history). */
  after?: number | undefined;
  /**
   * How long to keep trying to reconnect after the connection dropped (a server restarting, a
   * proxy's idle cut) before giving up with SLUICE_BACKEND_UNAVAILABLE. Default 60 s.
   */
  reconnectForMs?: number | undefined;
}

/** The wait between reconnects when the server sent no `retry:` hint. */
const DEFAULT_RETRY_MS = 1_000;

type Query = Record<string, string | number | undefined>;

/**
 * The typed HTTP SDK of the Sluice API. Errors the server answers become SluiceHttpError (a
 * SluiceError) with the body's code, message and field plus the HTTP status; a server that cannot
 * be reached is SLUICE_BACKEND_UNAVAILABLE with status 0.
 */
export class SluiceClient {
  private readonly baseUrl: string;
  private readonly apiKey: string | undefined;
  private readonly fetchFn: typeof fetch;
  private readonly longPollSeconds: number;
  /** Whether the server streams job events (undefined until a waitFor found out). */
  private eventStreams: boolean | undefined;

  constructor(options: SluiceClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.apiKey = options.apiKey;
    this.fetchFn = options.fetch ?? globalThis.fetch;
    this.longPollSeconds = options.longPollSeconds ?? 30;
  }

  /** Submits a job; resolves once the server stored it durably. */
  enqueue(spec: JobSpec, options: EnqueueOptions = {}): Promise<JobJson> {
    const headers = options.idempotencyKey === undefined ? undefined : { 'idempotency-key': options.idempotencyKey };
    return this.request<JobJson>('POST', '/v1/jobs', { body: spec, headers, signal: options.signal });
  }

  /** Submits many jobs in one transaction (all or none); results in input order. */
  async enqueueMany(specs: JobSpec[], options: RequestOptions = {}): Promise<JobJson[]> {
    const result = await this.request<{ jobs: JobJson[] }>('POST', '/v1/jobs/bulk', {
      body: { jobs: specs },
      signal: options.signal,
    });
    return result.jobs;
  }

  /** Reads a job; with `waitSeconds`, long-polls until it ends or the wait runs out. */
  get(id: string, options: GetOptions = {}): Promise<JobJson> {
    return this.request<JobJson>('GET', `/v1/jobs/${encodeURIComponent(id)}`, {
      query: { wait: options.waitSeconds },
      signal: options.signal,
    });
  }

  /** A job's events so far (JSON): those with a seq above `after`, oldest first, at most `limit` (1000). */
  async jobEvents(
    id: string,
    params: { after?: number; limit?: number } = {},
    options: RequestOptions = {},
  ): Promise<JobEventJson[]> {
    const page = await this.request<{ events: JobEventJson[] }>('GET', `/v1/jobs/${encodeURIComponent(id)}/events`, {
      query: { after: params.after, limit: params.limit },
      signal: options.signal,
    });
    return page.events;
  }

  /**
   * A job's events as they happen (GET /v1/jobs/{id}/events as Server-Sent Events): the history
   * after `after`, then each change, ending after the job's terminal event. A dropped connection is
   * resumed by itself from the last seq received, so the iterator yields each event once, in order.
   * Errors the server answers (404, 501 without an event log) are thrown as SluiceHttpError.
   */
  async *events(id: string, options: EventsOptions = {}): AsyncGenerator<JobEventJson> {
    let after = options.after ?? 0;
    let retryMs = DEFAULT_RETRY_MS;
    const reconnectForMs = options.reconnectForMs ?? 60_000;
    let failingSince: number | undefined;
    const url = `${this.baseUrl}/v1/jobs/${encodeURIComponent(id)}/events`;
    for (;;) {
      let response: Response;
      try {
        response = await this.fetchFn(url, { headers: this.streamHeaders(after), signal: options.signal ?? null });
      } catch (error) {
        if (options.signal?.aborted) throw error;
        failingSince ??= Date.now();
        if (Date.now() - failingSince > reconnectForMs) throw unreachable(this.baseUrl, error);
        await delay(retryMs, options.signal);
        continue;
      }
      if (response.status === 204) return; // nothing after `after`: the job had ended
      if (!response.ok || response.body === null) {
        throw errorFromResponse(response.status, response.statusText, parseJson(await response.text()));
      }
      failingSince = undefined;
      try {
        for await (const message of readSse(response.body)) {
          if (message.retry !== undefined) retryMs = message.retry;
          if (message.data === undefined) continue;
          const event = JSON.parse(message.data) as JobEventJson;
          if (event.seq <= after) continue;
          after = event.seq;
          yield event;
          if (isTerminalEvent(event.type)) return;
        }
      } catch (error) {
        if (options.signal?.aborted) throw error;
        // The connection dropped mid-stream: resume from `after`.
      }
      await delay(retryMs, options.signal);
    }
  }

  /**
   * Resolves with the job once it ended (succeeded, failed or cancelled). Rides the job's event
   * stream when the server has one (one connection, woken by the change itself); otherwise, on a
   * server whose backend keeps no event log, long-polls.
   */
  async waitFor(id: string, options: WaitForOptions = {}): Promise<JobJson> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    if (this.eventStreams !== false) {
      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
      try {
        for await (const event of this.events(id, { signal })) {
          if (isTerminalEvent(event.type)) break;
        }
        this.eventStreams = true;
        return await this.get(id, { signal: options.signal });
      } catch (error) {
        if (timeout.aborted && !options.signal?.aborted) {
          throw new SluiceError(ErrorCodes.timeout, `job ${id} did not finish within ${timeoutMs} ms`);
        }
        if (!(error instanceof SluiceHttpError) || error.status !== 501) throw error;
        this.eventStreams = false;
      }
    }
    return this.longPollUntilEnd(id, timeoutMs, options.signal);
  }

  private async longPollUntilEnd(id: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<JobJson> {
    const deadline = Date.now() + timeoutMs;
    let job = await this.get(id, { signal });
    while (!isTerminal(job.status)) {
      const remainingMs = deadline - Date.now();
      if (remainingMs <= 0) throw new SluiceError(ErrorCodes.timeout, `job ${id} did not finish in time (still ${job.status})`);
      const waitSeconds = Math.min(this.longPollSeconds, Math.ceil(remainingMs / 10) / 100);
      job = await this.get(id, { waitSeconds, signal });
    }
    return job;
  }

  /** The output of a succeeded job; 409 SLUICE_NOT_READY otherwise. */
  output<T = unknown>(id: string, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('GET', `/v1/jobs/${encodeURIComponent(id)}/output`, { signal: options.signal });
  }

  /** Cancels a job; 409 SLUICE_CONFLICT when it already ended. */
  cancel(id: string, options: RequestOptions = {}): Promise<JobJson> {
    return this.request<JobJson>('POST', `/v1/jobs/${encodeURIComponent(id)}/cancel`, { signal: options.signal });
  }

  /** A page of jobs, newest first. */
  list(params: ListJobsParams = {}, options: RequestOptions = {}): Promise<JobPage> {
    return this.request<JobPage>('GET', '/v1/jobs', { query: listQuery(params), signal: options.signal });
  }

  /** Every queue with counts per state, pause flag and lag. */
  queues(options: RequestOptions = {}): Promise<QueueList> {
    return this.request<QueueList>('GET', '/v1/queues', { signal: options.signal });
  }

  /** Pauses a queue (admin key). */
  pauseQueue(name: string, options: RequestOptions = {}): Promise<QueueState> {
    return this.request<QueueState>('POST', `/v1/queues/${encodeURIComponent(name)}/pause`, { signal: options.signal });
  }

  /** Resumes a queue (admin key). */
  resumeQueue(name: string, options: RequestOptions = {}): Promise<QueueState> {
    return this.request<QueueState>('POST', `/v1/queues/${encodeURIComponent(name)}/resume`, { signal: options.signal });
  }

  /** A page of failed jobs (the dead-letter queue), newest first. */
  deadLetter(params: DeadLetterParams = {}, options: RequestOptions = {}): Promise<JobPage> {
    return this.request<JobPage>('GET', '/v1/dlq', { query: listQuery(params), signal: options.signal });
  }

  /** Moves failed jobs back to their queue with fresh attempts (and the maxAttempts / timeoutMs given);
   * an empty filter moves all. */
  redrive(params: RedriveParams = {}, options: RequestOptions = {}): Promise<RedriveResult> {
    return this.request<RedriveResult>('POST', '/v1/dlq/redrive', { body: withoutUndefined(params), signal: options.signal });
  }

  private streamHeaders(after: number): Record<string, string> {
    const headers: Record<string, string> = { accept: 'text/event-stream', 'last-event-id': String(after) };
    if (this.apiKey !== undefined) headers.authorization = `Bearer ${this.apiKey}`;
    return headers;
  }

  private async request<T>(
    method: 'GET' | 'POST',
    path: string,
    options: { query?: Query; body?: unknown; headers?: Record<string, string> | undefined; signal?: AbortSignal | undefined },
  ): Promise<T> {
    const url = new URL(this.baseUrl + path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (this.apiKey !== undefined) headers.authorization = `Bearer ${this.apiKey}`;
    const init: RequestInit = { method, headers };
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(options.body);
    }
    if (options.signal) init.signal = options.signal;

    let response: Response;
    try {
      response = await this.fetchFn(url, init);
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw unreachable(this.baseUrl, error);
    }
    const text = await response.text();
    const body = parseJson(text);
    if (!response.ok) throw errorFromResponse(response.status, response.statusText, body);
    if (body === NOT_JSON) {
      throw new SluiceHttpError(
        response.status,
        ErrorCodes.internal,
        `expected JSON from ${method} ${path}, got: ${text.slice(0, 100)}`,
      );
    }
    return body as T;
  }
}

const NOT_JSON = Symbol('not JSON');

function unreachable(baseUrl: string, error: unknown): SluiceHttpError {
  const reason = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
  return new SluiceHttpError(0, ErrorCodes.backendUnavailable, `cannot reach ${baseUrl}: ${reason}`, { cause: error });
}

/** Waits `ms`; rejects at once when `signal` aborts. */
function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return NOT_JSON;
  }
}

/** A list's query string: `include` travels as one comma-separated value. */
function listQuery(params: ListJobsParams): Query {
  const { include, ...rest } = params;
  return { ...rest, include: include === undefined || include.length === 0 ? undefined : include.join(',') };
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
