import { once } from 'node:events';
import type { FastifyReply } from 'fastify';
import type { JobEventJson } from '../../core/job-event-json.js';
import type { CutReason, PushSink } from './push-sink.js';

export interface SseOptions {
  /** A comment line this often keeps proxies from closing an idle stream. */
  keepAliveMs: number;
  /** The `retry:` hint: how long a client waits before it reconnects. */
  retryMs: number;
}

/**
 * A Server-Sent Events response: `id:` (where to resume), `event:` (the type), `data:` (the event as
 * JSON), and a comment line every keepAliveMs. It takes the reply over from Fastify (hijack): the
 * stream writes to the socket itself so that it can see how much the client has not taken yet.
 */
export class SseSink implements PushSink {
  private readonly raw: FastifyReply['raw'];
  private readonly keepAlive: NodeJS.Timeout;
  private readonly closeListeners: Array<() => void> = [];
  private isClosed = false;

  constructor(reply: FastifyReply, options: SseOptions) {
    this.raw = reply.raw;
    reply.hijack();
    this.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // nginx buffers responses by default, which would hold events back.
      'x-accel-buffering': 'no',
    });
    this.raw.write(`retry: ${options.retryMs}\n\n`);
    this.keepAlive = setInterval(() => this.raw.write(': keep-alive\n\n'), options.keepAliveMs);
    this.raw.once('close', () => this.closed_());
  }

  get closed(): boolean {
    return this.isClosed;
  }

  get bufferedBytes(): number {
    return this.raw.writableLength;
  }

  send(event: JobEventJson, id: string): void {
    if (this.isClosed) return;
    // JSON.stringify leaves no raw newline in its output, so one data line holds the whole event.
    this.raw.write(`id: ${id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
  }

  async drained(): Promise<void> {
    if (this.isClosed || this.raw.writableLength === 0) return;
    await Promise.race([once(this.raw, 'drain'), once(this.raw, 'close')]);
  }

  end(): void {
    if (this.isClosed) return;
    this.raw.end();
  }

  cut(reason: CutReason): void {
    if (this.isClosed) return;
    // Shutting down, the client gets what is buffered; otherwise the response is destroyed, not
    // ended, as ending would keep what a lagging client has not taken in memory until it does.
    if (reason === 'shutdown') this.raw.end();
    else this.raw.destroy();
  }

  onClose(listener: () => void): void {
    if (this.isClosed) listener();
    else this.closeListeners.push(listener);
  }

  private closed_(): void {
    this.isClosed = true;
    clearInterval(this.keepAlive);
    for (const listener of this.closeListeners.splice(0)) listener();
  }
}
