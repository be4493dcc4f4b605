import type { JobMessage } from '../transport/broker.js';

/**
 * The wire form of a job message on NATS: the same JSON body as on RabbitMQ, so that a tool reading
 * either broker sees one format. A delayed message carries its due time in a header (see
 * NOT_BEFORE_HEADER), not in the body: the body's runAt is the store's clock, the header the
 * publisher's wall clock that the server's redelivery timer runs on.
 */
export const NOT_BEFORE_HEADER = 'Sluice-Not-Before';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeJobMessage(message: JobMessage): Uint8Array {
  return encoder.encode(
    JSON.stringify({
      id: message.id,
      queue: message.queue,
      type: message.type,
      priority: message.priority,
      runAt: message.runAt,
    }),
  );
}

/** Parses a delivery; undefined for a message that is not ours (it is dropped). */
export function decodeJobMessage(data: Uint8Array): JobMessage | undefined {
  try {
    const value = JSON.parse(decoder.decode(data)) as Partial<JobMessage>;
    if (typeof value.id !== 'string' || typeof value.queue !== 'string' || typeof value.type !== 'string') return undefined;
    return {
      id: value.id,
      queue: value.queue,
      type: value.type,
      priority: typeof value.priority === 'number' ? value.priority : 0,
      runAt: typeof value.runAt === 'number' ? value.runAt : 0,
    };
  } catch {
    return undefined;
  }
}
