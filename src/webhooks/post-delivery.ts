import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import type { AddressPolicy } from './address-policy.js';
import { guardedLookup } from './url-guard.js';

/** What one POST to a receiver came to. */
export interface PostResult {
  /** The receiver's status; absent when no answer came. */
  statusCode?: number;
  latencyMs: number;
  /** Why there was no answer (refused by the guard, timed out, connection failed). */
  error?: string;
}

export interface PostParams {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  policy: AddressPolicy;
  signal?: AbortSignal | undefined;
}

/** The most of a receiver's answer that is read (and thrown away) before the socket is let go. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * POSTs one delivery. The SSRF guard runs again here, on the addresses the connection really
 * uses (`lookup`), because DNS may answer differently than at submit; an IP literal never reaches
 * `lookup`, so it is checked first. Redirects are not followed (a 3xx is a failed attempt), and
 * the whole attempt is bounded by `timeoutMs`. Never throws: every outcome is a PostResult.
 */
export function postDelivery(params: PostParams): Promise<PostResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const url = new URL(params.url);
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (isIP(host) !== 0 && !params.policy.allowsHost(host)) {
    const refusal = params.policy.refusal(host);
    if (refusal !== undefined) return Promise.resolve({ latencyMs: 0, error: `refused: ${refusal}` });
  }
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: PostResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const req = send(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(params.body)),
        'user-agent': 'Sluice-Webhooks/1',
        ...params.headers,
      },
      lookup: guardedLookup(params.policy),
      signal: params.signal,
    });
    const timer = setTimeout(() => {
      finish({ latencyMs: elapsed(), error: `no answer within ${params.timeoutMs} ms` });
      req.destroy();
    }, params.timeoutMs);
    req.on('response', (res) => {
      const statusCode = res.statusCode ?? 0;
      const latencyMs = elapsed();
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_ANSWER_BYTES) res.destroy();
      });
      res.on('error', () => finish({ statusCode, latencyMs }));
      res.on('close', () => finish({ statusCode, latencyMs }));
      res.on('end', () => finish({ statusCode, latencyMs }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      const reason = error.code === 'ESLUICEREFUSED' ? `refused: ${error.message}` : `${error.code ?? 'error'}: ${error.message}`;
      finish({ latencyMs: elapsed(), error: reason });
    });
    req.end(params.body);
  });
}
