import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventSource } from 'eventsource';
import { httpJson } from './http-json.js';
import type { StampOutput } from './push-server.js';
import { epochNow } from './time.js';

/** Called with a finished `stamp` job's output and the time (epochNow) its notification arrived. */
export type OnStamp = (output: StampOutput, receivedAt: number) => void;

export interface StampReceiver {
  /** Reconnects (SSE) or failed deliveries seen, for the row's sanity: 0 in a clean run. */
  readonly errors: number;
  close(): Promise<void>;
}

/**
 * What a client following many jobs does: one EventSource (the `eventsource` package) on the feed
 * `GET /v1/events?queue=QUEUE&type=job.succeeded`. Resolves once the stream is open.
 */
export async function followFeed(baseUrl: string, queue: string, onStamp: OnStamp): Promise<StampReceiver> {
  const source = new EventSource(`${baseUrl}/v1/events?queue=${encodeURIComponent(queue)}&type=job.succeeded`);
  let errors = 0;
  source.addEventListener('job.succeeded', (message) => {
    const receivedAt = epochNow();
    const event = JSON.parse(message.data) as { data: { output: StampOutput } };
    onStamp(event.data.output, receivedAt);
  });
  await new Promise<void>((resolve, reject) => {
    source.onopen = () => resolve();
    source.onerror = (error) => {
      source.close();
      reject(new Error(`the feed stream did not open: ${error.message ?? error.type}`));
    };
  });
  source.onerror = () => {
    errors += 1;
  };
  return {
    get errors() {
      return errors;
    },
    close: async () => source.close(),
  };
}

/**
 * A webhook receiver on 127.0.0.1 registered as an endpoint (`POST /v1/webhooks`) for the queue's
 * `job.succeeded` events. It answers 204 at once; the time is taken when the body has arrived.
 */
export async function receiveWebhooks(baseUrl: string, queue: string, onStamp: OnStamp): Promise<StampReceiver> {
  let errors = 0;
  const seen = new Set<string>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const receivedAt = epochNow();
      res.writeHead(204).end();
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { type: string; data: { output: StampOutput } };
      // A delivery made again (the same webhook-id) or an event not asked for is no sample.
      const id = String(req.headers['webhook-id']);
      if (body.type !== 'job.succeeded' || seen.has(id)) errors += 1;
      else {
        seen.add(id);
        onStamp(body.data.output, receivedAt);
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  try {
    await httpJson(undefined, 'POST', `${baseUrl}/v1/webhooks`, {
      url: `http://127.0.0.1:${port}/hook`,
      events: ['job.succeeded'],
      queues: [queue],
    });
  } catch (error) {
    server.close();
    throw error;
  }
  return {
    get errors() {
      return errors;
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
