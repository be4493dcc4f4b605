import { ErrorCodes, hasErrorCode, isSluiceError, SluiceError, ValidationError } from '../../core/errors.js';
import type { JobEventJson } from '../../core/job-event-json.js';
import { parseOrThrow } from '../../core/validate.js';
import type { Push } from './push.js';
import type { CutReason, PushSink } from './push-sink.js';
import {
  type ServerFrame,
  subscribeMessageSchema,
  type Target,
  unsubscribeMessageSchema,
  WS_CLOSE,
  WS_OPS,
} from './ws-protocol.js';

/** What a session needs of a WebSocket (the `ws` package's WebSocket has it). */
export interface PushSocket {
  readonly bufferedAmount: number;
  send(data: string, callback?: (error?: Error) => void): void;
  close(code?: number, reason?: string): void;
  /** Drops the connection at once (what it holds unsent is freed). */
  terminate(): void;
  ping(): void;
}

/**
 * One WebSocket connection of GET /v1/ws: its subscriptions (each a job or feed stream with a sink
 * that writes to this socket) and the protocol of ws-protocol.ts. The buffer bound is the socket's:
 * a client that falls behind on any subscription is disconnected and subscribes again with the ids
 * it has.
 */
export class WsSession {
  private readonly subscriptions = new Map<string, SubscriptionSink | 'opening'>();
  private readonly keepAlive: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly socket: PushSocket,
    private readonly push: Push,
    private readonly tenant: string | undefined,
  ) {
    this.keepAlive = setInterval(() => socket.ping(), push.options.keepAliveMs);
  }

  /** A text frame from the client. */
  receive(text: string): void {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      this.sendError(new SluiceError(ErrorCodes.invalidJson, 'a frame must be a JSON object'));
      return;
    }
    const op = (message as { op?: unknown } | null)?.op;
    if (op === 'subscribe') void this.subscribe(message);
    else if (op === 'unsubscribe') this.unsubscribe(message);
    else this.sendError(new ValidationError(`op: must be one of ${WS_OPS.join(', ')}`, 'op'));
  }

  /** The socket closed: every subscription ends. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepAlive);
    for (const sink of this.subscriptions.values()) if (sink !== 'opening') sink.closeSubscription();
    this.subscriptions.clear();
  }

  /** Sends a frame; resolves once it was written (or the socket failed). */
  sendFrame(frame: ServerFrame): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => this.socket.send(JSON.stringify(frame), () => resolve()));
  }

  get bufferedBytes(): number {
    return this.socket.bufferedAmount;
  }

  /** Ends the connection on behalf of a subscription (cut) or of the server (shutdown). */
  disconnect(reason: CutReason): void {
    if (this.closed) return;
    // A lagging client is not reading: a close frame would wait behind what it has not taken (and
    // the close handshake for its answer), so the connection is dropped at once instead.
    if (reason === 'shutdown') this.socket.close(WS_CLOSE.goingAway, 'the server is shutting down');
    else this.socket.terminate();
    this.close();
  }

  /** A subscription's stream stopped (its end, a failed read) or was unsubscribed: forget it. */
  forget(key: string, sink: SubscriptionSink): void {
    if (this.subscriptions.get(key) === sink) this.subscriptions.delete(key);
  }

  private async subscribe(message: unknown): Promise<void> {
    let target: Target | undefined;
    try {
      const request = parseOrThrow(subscribeMessageSchema, message);
      target = targetOf(request);
      const key = keyOf(target);
      if (this.subscriptions.has(key)) {
        throw new SluiceError(ErrorCodes.conflict, `already subscribed to this ${fieldOf(target)}`, { field: fieldOf(target) });
      }
      if (this.subscriptions.size >= this.push.options.maxSubscriptions) {
        throw new ValidationError(`at most ${this.push.options.maxSubscriptions} subscriptions per connection`, 'op');
      }
      this.subscriptions.set(key, 'opening');
      const opened = target;
      const openSink = () => {
        const sink = new SubscriptionSink(this, key, opened);
        this.subscriptions.set(key, sink);
        void this.sendFrame({ op: 'subscribed', ...opened });
        return sink;
      };
      try {
        if ('job' in opened) {
          const after = request.after ?? 0;
          if (typeof after !== 'number') throw new ValidationError('after: must be a whole number (a seq) for a job', 'after');
          const result = await this.push.openJob({ id: opened.job, tenant: this.tenant, after }, openSink);
          if (result === 'ended') {
            this.subscriptions.delete(key);
            await this.sendFrame({ op: 'subscribed', ...opened });
            await this.sendFrame({ op: 'end', ...opened });
          }
        } else {
          if (typeof request.after === 'number')
            throw new ValidationError('after: must be a feed cursor (a string) for a queue', 'after');
          await this.push.openFeed(
            { tenant: this.tenant, queue: opened.queue, types: request.types, after: request.after, afterField: 'after' },
            openSink,
          );
        }
      } catch (error) {
        if (this.subscriptions.get(key) === 'opening') this.subscriptions.delete(key);
        throw error;
      }
    } catch (error) {
      this.sendError(error, target);
    }
  }

  private unsubscribe(message: unknown): void {
    let target: Target | undefined;
    try {
      target = targetOf(parseOrThrow(unsubscribeMessageSchema, message));
      const sink = this.subscriptions.get(keyOf(target));
      if (sink === undefined || sink === 'opening') {
        throw new SluiceError(ErrorCodes.notFound, `not subscribed to this ${fieldOf(target)}`, { field: fieldOf(target) });
      }
      sink.closeSubscription();
      void this.sendFrame({ op: 'unsubscribed', ...target });
    } catch (error) {
      this.sendError(error, target);
    }
  }

  private sendError(error: unknown, target?: Target): void {
    if (!isSluiceError(error)) {
      void this.sendFrame({ op: 'error', error: { code: ErrorCodes.internal, message: 'internal server error' }, ...target });
      return;
    }
    // An unknown job names the field it came in; the 404 of a route has no field (the id is the path).
    const field = error.field ?? (hasErrorCode(error, ErrorCodes.notFound) && target ? fieldOf(target) : undefined);
    const body =
      field === undefined ? { code: error.code, message: error.message } : { code: error.code, message: error.message, field };
    void this.sendFrame({ op: 'error', error: body, ...target });
  }
}

/** One subscription's sink: its frames carry the target, and its buffer is the socket's. */
class SubscriptionSink implements PushSink {
  private readonly listeners: Array<() => void> = [];
  private isClosed = false;
  private lastWrite: Promise<void> = Promise.resolve();

  constructor(
    private readonly session: WsSession,
    private readonly key: string,
    private readonly target: Target,
  ) {}

  get closed(): boolean {
    return this.isClosed;
  }

  get bufferedBytes(): number {
    return this.session.bufferedBytes;
  }

  send(event: JobEventJson, id: string): void {
    if (this.isClosed) return;
    this.lastWrite = this.session.sendFrame({ op: 'event', ...this.target, id, event });
  }

  drained(): Promise<void> {
    return this.lastWrite;
  }

  end(): void {
    if (this.isClosed) return;
    void this.session.sendFrame({ op: 'end', ...this.target });
    this.closeSubscription();
  }

  cut(reason: CutReason): void {
    if (this.isClosed) return;
    if (reason === 'error') {
      void this.session.sendFrame({
        op: 'error',
        error: { code: ErrorCodes.backendUnavailable, message: 'reading the event log failed: subscribe again with your cursor' },
        ...this.target,
      });
      this.closeSubscription();
    } else this.session.disconnect(reason);
  }

  onClose(listener: () => void): void {
    if (this.isClosed) listener();
    else this.listeners.push(listener);
  }

  closeSubscription(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.session.forget(this.key, this);
    for (const listener of this.listeners.splice(0)) listener();
  }
}

function targetOf(request: { job?: string | undefined; queue?: string | undefined }): Target {
  if (request.job !== undefined && request.queue !== undefined) throw new ValidationError('give job or queue, not both', 'queue');
  if (request.job !== undefined) return { job: request.job };
  if (request.queue !== undefined) return { queue: request.queue };
  throw new ValidationError('job or queue is required', 'job');
}

function keyOf(target: Target): string {
  return 'job' in target ? `job:${target.job}` : `queue:${target.queue}`;
}

function fieldOf(target: Target): 'job' | 'queue' {
  return 'job' in target ? 'job' : 'queue';
}
