/** One message of a Server-Sent Events stream (the fields Sluice sends). */
export interface SseMessage {
  id?: string;
  event?: string;
  data?: string;
  retry?: number;
}

/**
 * Reads SSE messages from a response body as they arrive (the WHATWG parsing rules, for the fields
 * Sluice sends: comments and unknown fields are skipped, data lines joined with newlines).
 */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let buffer = '';
  let message: SseMessage = {};
  let data: string[] = [];
  let hasData = false;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let newline = buffer.search(/\r\n|\r|\n/);
      while (newline >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
        if (line === '') {
          if (hasData) message.data = data.join('\n');
          if (message.data !== undefined || message.retry !== undefined) yield message;
          message = {};
          data = [];
          hasData = false;
        } else if (!line.startsWith(':')) {
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'data') {
            data.push(text);
            hasData = true;
          } else if (field === 'id') message.id = text;
          else if (field === 'event') message.event = text;
          else if (field === 'retry' && /^\d+$/.test(text)) message.retry = Number(text);
        }
        newline = buffer.search(/\r\n|\r|\n/);
      }
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}
