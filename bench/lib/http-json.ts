import { type Agent, request } from 'node:http';

/** One JSON request to a bench server; resolves with the parsed answer, rejects on a status >= 300. */
export function httpJson<T = unknown>(agent: Agent | undefined, method: string, url: string, body?: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method, agent, headers: body === undefined ? {} : { 'content-type': 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if ((res.statusCode ?? 0) >= 300) reject(new Error(`${method} ${url}: HTTP ${res.statusCode} ${text.slice(0, 200)}`));
          else resolve((text === '' ? undefined : JSON.parse(text)) as T);
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}
