import type { JobMessage } from './broker.js';

/**
 * The wire form of a job's message: JSON of JobMessage. Broker-neutral, so that every broker
 * adapter (and a tool that publishes by hand) writes and reads the same bodies.
 */
export function encodeMessage(message: JobMessage): Buffer {
  // Field by field: a caller may hand a whole Job, whose input must never reach the broker.
  const { id, queue, type, priority, runAt } = message;
  return Buffer.from(JSON.stringify({ id, queue, type, priority, runAt }));
}

/** Parses a delivery; undefined for a message that is not ours (the broker drops it). */
export function decodeMessage(content: Uint8Array): JobMessage | undefined {
  try {
    const value = JSON.parse(Buffer.from(content).toString('utf8')) as Partial<JobMessage>;
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
