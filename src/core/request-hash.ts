/**
 * The fingerprint of a job request, kept with a job that has an idempotency key: a later request
 * with the same key must be the same request (IETF Idempotency-Key draft), or it is refused with
 * SLUICE_IDEMPOTENCY_MISMATCH instead of answering with a job it did not ask for.
 *
 * What counts is what the job will do: type, queue, input, priority, maxAttempts, backoff,
 * timeoutMs, metadata, and delayMs or runAt as given. The key itself and the tenant do not (they
 * already select the job). Object keys are sorted, so `{a, b}` and `{b, a}` are the same request.
 * The hash is FNV-1a, two 32-bit lanes: it tells a mistaken reuse from a retry, it is not a MAC.
 */
export function requestHash(spec: Readonly<Record<string, unknown>>): string {
  const text = canonicalJson(spec);
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193) ^ (b >>> 15);
  }
  return `f1-${(a >>> 0).toString(16).padStart(8, '0')}${(b >>> 0).toString(16).padStart(8, '0')}`;
}

/** JSON with object keys in sorted order (undefined properties dropped, as JSON.stringify does). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  const entries = Object.keys(value)
    .sort()
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
  return `{${entries.join(',')}}`;
}
