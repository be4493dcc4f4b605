import { type ClientRequest, get as httpGet } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { BackendCapabilities, FeedEvent } from '../../src/core/backend.js';
import { systemClock } from '../../src/core/clock.js';
import type { ClaimedJob, Job } from '../../src/core/job.js';
import type { JobSpec } from '../../src/core/new-job.js';
import { createLogger } from '../../src/observability/logger.js';
import { type AppOptions, buildApp } from '../../src/server/app.js';
import { Sluice } from '../../src/sluice.js';
import { MemoryBackend } from './memory-backend.js';

/**
 * An app on the memory backend for the push surfaces, with a hand-driven "worker": the test claims,
 * reports and completes jobs itself, so each event happens exactly when the test says.
 */
export interface PushRig {
  app: FastifyInstance;
  sluice: Sluice;
  backend: MemoryBackend;
  /** Listens on 127.0.0.1 (an ephemeral port) and returns the base URL; for real clients. */
  listen(): Promise<string>;
  enqueue(spec?: Partial<JobSpec>, tenant?: string): Promise<Job>;
  claim(queue?: string): Promise<ClaimedJob>;
  progress(job: ClaimedJob, progress: unknown): Promise<void>;
  emit(job: ClaimedJob, ...chunks: unknown[]): Promise<void>;
  complete(job: ClaimedJob, output: unknown): Promise<void>;
  close(): Promise<void>;
}

/** `capabilities` overrides the fake's declarations (`{ eventLog: false }`: a backend without a log). */
export async function startPushRig(
  options: Omit<AppOptions, 'sluice'> = {},
  capabilities: Partial<BackendCapabilities> = {},
): Promise<PushRig> {
  const backend = new MemoryBackend({ clock: systemClock });
  Object.assign(backend.capabilities, capabilities);
  const sluice = Sluice.fromBackend(backend, { maintenance: false });
  const app = await buildApp({ sluice, ...options });
  return {
    app,
    sluice,
    backend,
    async listen() {
      await app.listen({ host: '127.0.0.1', port: 0 });
      return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    },
    enqueue: (spec = {}, tenant) => sluice.enqueue({ type: 'echo', input: {}, ...spec }, { tenant }),
    async claim(queue = 'default') {
      const [job] = await backend.claim({ queues: [queue], limit: 1, leaseMs: 30_000, workerId: 'test-worker' });
      if (!job) throw new Error(`nothing to claim in ${queue}`);
      return job;
    },
    progress: (job, progress) => backend.reportProgress({ id: job.id, leaseToken: job.leaseToken, progress }),
    async emit(job, ...chunks) {
      await backend.appendOutput({ id: job.id, leaseToken: job.leaseToken, chunks });
    },
    async complete(job, output) {
      await backend.complete({ items: [{ id: job.id, leaseToken: job.leaseToken, output }] });
    },
    async close() {
      await app.close();
      await sluice.close();
    },
  };
}

/** One event of an SSE body as text: its fields (the test reads the wire format, not a client's view). */
export interface SseMessage {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
  retry?: string;
}

/** Splits a complete SSE body into its messages (comments as their own entries). */
export function parseSse(body: string): SseMessage[] {
  const messages: SseMessage[] = [];
  for (const block of body.split('\n\n')) {
    if (block.trim() === '') continue;
    const message: SseMessage = {};
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) message.comment = line.slice(1).trim();
      else {
        const colon = line.indexOf(':');
        const field = line.slice(0, colon) as keyof SseMessage;
        message[field] = line.slice(colon + 1).replace(/^ /, '');
      }
    }
    messages.push(message);
  }
  return messages;
}

/** Resolves with the next event the memory backend appends to `id`'s log (a feed read sees it). */
export function nextAppend(rig: PushRig, id: string): Promise<void> {
  return new Promise((resolve) => {
    const off = rig.backend.events.on('events:appended', (appended) => {
      if (appended.id === id) {
        off();
        resolve();
      }
    });
  });
}

export type { FeedEvent };

/**
 * An SSE response read as it arrives over a real connection (node:http): the messages so far, and a
 * wait for the next one that matches. The test sees the wire, not a client library's view of it.
 */
export class SseWire {
  readonly messages: SseMessage[] = [];
  status = 0;
  ended = false;
  private text = '';
  private readonly waiters = new Set<{ test: (m: SseMessage) => boolean; resolve: (m: SseMessage) => void }>();
  private endWaiters: Array<() => void> = [];
  private request: ClientRequest | undefined;
  readonly opened: Promise<void>;

  constructor(url: string, headers: Record<string, string> = {}) {
    this.opened = new Promise((resolve, reject) => {
      this.request = httpGet(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
        this.status = res.statusCode ?? 0;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => this.take(chunk));
        res.on('close', () => this.finish());
        resolve();
      });
      this.request.on('error', (error) => {
        this.finish();
        reject(error);
      });
    });
  }

  /** The first message (past or future) that matches. */
  next(test: (m: SseMessage) => boolean): Promise<SseMessage> {
    const seen = this.messages.find(test);
    if (seen) return Promise.resolve(seen);
    if (this.ended) return Promise.reject(new Error(`stream ended without it: ${JSON.stringify(this.messages)}`));
    return new Promise((resolve, reject) => {
      const waiter = { test, resolve };
      this.waiters.add(waiter);
      this.endWaiters.push(() => {
        if (this.waiters.delete(waiter)) reject(new Error(`stream ended without it: ${JSON.stringify(this.messages)}`));
      });
    });
  }

  /** The message with this id. */
  id(id: string): Promise<SseMessage> {
    return this.next((m) => m.id === id);
  }

  /** Resolves once the server has ended the response. */
  end(): Promise<void> {
    return this.ended ? Promise.resolve() : new Promise((resolve) => this.endWaiters.push(resolve));
  }

  /** The ids of the events received (comments and the retry hint left out). */
  get ids(): string[] {
    return this.messages.filter((m) => m.id !== undefined).map((m) => m.id!);
  }

  close(): void {
    this.request?.destroy();
  }

  private take(chunk: string): void {
    this.text += chunk;
    const blocks = this.text.split('\n\n');
    this.text = blocks.pop() ?? '';
    for (const message of parseSse(blocks.map((b) => `${b}\n\n`).join(''))) {
      this.messages.push(message);
      for (const waiter of [...this.waiters]) {
        if (waiter.test(message)) {
          this.waiters.delete(waiter);
          waiter.resolve(message);
        }
      }
    }
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    for (const waiter of this.endWaiters.splice(0)) waiter();
  }
}

/** A logger whose records the test can wait for (the hub's cut is seen nowhere else). */
export function watchedLogger() {
  const waiters: Array<{ msg: RegExp; resolve: () => void }> = [];
  const seen: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        seen.push(line);
        for (const waiter of [...waiters]) {
          if (waiter.msg.test(line)) {
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.resolve();
          }
        }
      }
      done();
    },
  });
  return {
    logger: createLogger('info', { format: 'json', destination }),
    seen,
    next: (msg: RegExp) =>
      seen.some((line) => msg.test(line)) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ msg, resolve })),
  };
}
