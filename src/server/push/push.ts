import { type EventLogStore, type FeedPage, type JobEvent, type JobEventType, withCapability } from '../../core/backend.js';
import { ErrorCodes, hasErrorCode, NotFoundError, SluiceError, ValidationError } from '../../core/errors.js';
import { isTerminal } from '../../core/job.js';
import { EVENT_PAGE_LIMIT } from '../../core/ports/event-log.js';
import type { Sluice } from '../../sluice.js';
import { EventHub } from './event-hub.js';
import { FeedStream } from './feed-stream.js';
import { JobStream } from './job-stream.js';
import type { PushSink, StreamLimits, StreamReport } from './push-sink.js';

/** The push surfaces' settings (SSE, WebSocket); the CLI reads them from SLUICE_EVENTS_*. */
export interface PushOptions extends StreamLimits {
  /** The hub's fallback read of the feed while someone watches (relayed wake-ups can be lost). */
  pollMs: number;
  /** An SSE comment (and a WebSocket ping) this often keeps proxies from closing an idle stream. */
  keepAliveMs: number;
  /** The SSE `retry:` hint: how long a client waits before it reconnects. */
  retryMs: number;
  /** Subscriptions one WebSocket may hold at once. */
  maxSubscriptions: number;
}

export const DEFAULT_PUSH_OPTIONS: Readonly<PushOptions> = {
  pollMs: 1_000,
  keepAliveMs: 15_000,
  retryMs: 1_000,
  maxBufferedBytes: 1024 * 1024,
  maxPendingEvents: 10_000,
  maxSubscriptions: 100,
};

/** Options as configured: any may be left out (or undefined) for its default. */
export type GivenPushOptions = { [K in keyof PushOptions]?: PushOptions[K] | undefined };

export interface JobStreamRequest {
  id: string;
  tenant: string | undefined;
  after: number;
}

export interface FeedStreamRequest {
  tenant: string | undefined;
  queue: string | undefined;
  types: readonly JobEventType[] | undefined;
  after: string | undefined;
  /** The name the client gave the cursor (`after`, `Last-Event-ID`): a bad one is a 400 naming it. */
  afterField: string;
}

/**
 * The push surfaces' shared half: reads the first page (so that an unknown job is a 404 and a bad
 * cursor a 400 before anything is streamed), then hands the connection's sink to a stream that
 * follows the hub. Knows every open sink, to end them when the server shuts down.
 */
export class Push {
  readonly options: PushOptions;
  private readonly log: EventLogStore | undefined;
  private readonly hub: EventHub | undefined;
  private readonly open = new Set<PushSink>();

  constructor(
    private readonly sluice: Sluice,
    options: GivenPushOptions,
    private readonly report: StreamReport,
  ) {
    this.options = { ...DEFAULT_PUSH_OPTIONS, ...(withoutUndefined(options) as Partial<PushOptions>) };
    this.log = withCapability(sluice.backend, 'eventLog');
    this.hub = this.log && new EventHub(this.log, sluice.backend.events, { pollMs: this.options.pollMs, onError: report.error });
  }

  /** Streams and watchers open now (tests, metrics). */
  get openStreams(): number {
    return this.open.size;
  }

  /**
   * The event log, or 501 SLUICE_NOT_SUPPORTED: the route exists, the request may be right, but this
   * server's backend keeps no log (a 404 would read as "no such job" and a client would give up).
   */
  requireLog(): EventLogStore {
    if (!this.log) {
      throw new SluiceError(
        ErrorCodes.notSupported,
        `the ${this.sluice.backend.name} backend keeps no event log (capabilities.eventLog): use GET /v1/jobs/{id}?wait=SECONDS`,
      );
    }
    return this.log;
  }

  /** A job's events after `after`, at most `limit`; 404 for an unknown (or another tenant's) job. */
  async jobEvents(request: JobStreamRequest, limit = EVENT_PAGE_LIMIT): Promise<JobEvent[]> {
    const events = await this.requireLog().jobEvents({ id: request.id, tenant: request.tenant, after: request.after, limit });
    if (events === null) throw new NotFoundError(`job ${request.id} not found`);
    return events;
  }

  /**
   * Opens a job's stream: `ended` when there is nothing more to send (the client has every event up
   * to the job's end: SSE answers 204 so that the client stops reconnecting), otherwise the stream,
   * on the sink `openSink` gives.
   */
  async openJob(request: JobStreamRequest, openSink: () => PushSink): Promise<'ended' | 'open'> {
    const initial = await this.jobEvents(request);
    if (initial.length === 0 && (await this.hasEnded(request))) return 'ended';
    const sink = this.track(openSink());
    const stream = new JobStream(this.requireLog(), this.hub!, sink, request, this.options, this.report);
    void stream.start(initial).catch(this.report.error);
    return 'open';
  }

  /** A page of the feed; a cursor this backend did not hand out is a 400 naming `afterField`. */
  async feedPage(request: FeedStreamRequest, limit = EVENT_PAGE_LIMIT): Promise<FeedPage> {
    const log = this.requireLog();
    try {
      return await log.feed({ after: request.after, tenant: request.tenant, queue: request.queue, types: request.types, limit });
    } catch (error) {
      if (hasErrorCode(error, ErrorCodes.validation) && (error as SluiceError).field === 'after') {
        throw new ValidationError(`${request.afterField}: not a cursor of this event feed`, request.afterField);
      }
      throw error;
    }
  }

  async openFeed(request: FeedStreamRequest, openSink: () => PushSink): Promise<void> {
    const first = await this.feedPage(request);
    const sink = this.track(openSink());
    const filter = { tenant: request.tenant, queue: request.queue, types: request.types };
    const stream = new FeedStream(this.requireLog(), this.hub!, sink, filter, this.options, this.report);
    void stream.start(first);
  }

  /** Ends every open stream (shutdown): clients reconnect, to this server once it is back or another. */
  endAll(): void {
    for (const sink of [...this.open]) sink.cut('shutdown');
    this.hub?.close();
  }

  private track(sink: PushSink): PushSink {
    this.open.add(sink);
    sink.onClose(() => this.open.delete(sink));
    return sink;
  }

  private async hasEnded(request: JobStreamRequest): Promise<boolean> {
    const job = await this.sluice.get(request.id, { tenant: request.tenant });
    if (!job) throw new NotFoundError(`job ${request.id} not found`);
    return isTerminal(job.status);
  }
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
