import { type Agent, get, type IncomingMessage } from 'node:http';
import { epochNow } from './time.js';

/** One message of a Server-Sent Events stream (comments and `retry:` lines are not messages). */
export interface SseMessage {
  id: string | undefined;
  event: string | undefined;
  data: string;
}

export interface SseStream {
  /** Resolves once the response headers came with 200 (the stream is open). */
  opened: Promise<void>;
  /** Resolves when the server ends the stream; rejects when the connection fails. */
  ended: Promise<void>;
  /** Socket reads that carried at least one message. */
  readonly reads: number;
  close(): void;
}

/**
 * Splits SSE text into messages: fields up to a blank line, `data:` lines joined by newlines
 * (the WHATWG parsing rules, less what the bench does not need: no BOM, no `\r` line ends).
 */
export class SseLineParser {
  private pending = '';
  private id: string | undefined;
  private event: string | undefined;
  private data: string[] = [];

  /** Feeds one chunk of text; returns the messages it completed. */
  push(text: string): SseMessage[] {
    const messages: SseMessage[] = [];
    const lines = (this.pending + text).split('\n');
    this.pending = lines.pop()!;
    for (const line of lines) {
      if (line === '') {
        if (this.data.length > 0) messages.push({ id: this.id, event: this.event, data: this.data.join('\n') });
        this.event = undefined;
        this.data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + (line[colon + 1] === ' ' ? 2 : 1));
      if (field === 'data') this.data.push(value);
      else if (field === 'event') this.event = value;
      else if (field === 'id') this.id = value;
    }
    return messages;
  }
}

/**
 * A light SSE client over node:http, for many connections at once (an EventSource per connection
 * costs more than the server side it measures). Every message is read and parsed; `onMessage` gets
 * each with the time its socket read arrived (`epochNow`, taken before any parsing) and the number
 * of that read (1, 2, …: messages that came in one read share it).
 */
export function readSse(
  url: string,
  onMessage: (message: SseMessage, receivedAt: number, read: number) => void,
  options: { agent?: Agent | false; headers?: Record<string, string> } = {},
): SseStream {
  let request: ReturnType<typeof get> | undefined;
  let reads = 0;
  let closing = false;
  let resolveOpened!: () => void;
  let rejectOpened!: (error: Error) => void;
  const opened = new Promise<void>((resolve, reject) => {
    resolveOpened = resolve;
    rejectOpened = reject;
  });
  const ended = new Promise<void>((resolve, reject) => {
    request = get(
      url,
      { agent: options.agent ?? false, headers: { accept: 'text/event-stream', ...options.headers } },
      (res: IncomingMessage) => {
        if (res.statusCode !== 200) {
          const error = new Error(`GET ${url}: HTTP ${res.statusCode}`);
          rejectOpened(error);
          reject(error);
          res.resume();
          return;
        }
        resolveOpened();
        const parser = new SseLineParser();
        res.setEncoding('utf8');
        res.on('data', (text: string) => {
          const receivedAt = epochNow();
          const messages = parser.push(text);
          if (messages.length > 0) reads += 1;
          for (const message of messages) onMessage(message, receivedAt, reads);
        });
        // A cut connection also emits 'error' ("aborted"); 'close' below tells the two cases apart.
        res.on('error', () => {});
        res.on('close', () =>
          closing || res.complete ? resolve() : reject(new Error(`GET ${url}: the stream was cut before its end`)),
        );
      },
    );
    request.on('error', (error) => {
      rejectOpened(error);
      if (closing) resolve();
      else reject(error);
    });
  });
  // A caller that only awaits one of the two must not see the other as an unhandled rejection.
  opened.catch(() => {});
  ended.catch(() => {});
  return {
    opened,
    ended,
    get reads() {
      return reads;
    },
    close() {
      closing = true;
      request?.destroy();
    },
  };
}
