/**
 * The parts of /openapi.json that describe the API as a whole rather than a route: its info, the
 * tags routes are grouped by, and how a client authenticates (src/server/auth.ts).
 */

export const API_DESCRIPTION = [
  'Sluice accepts AI jobs at once, stores them durably and runs them at the pace hardware and providers allow;',
  'clients get results by polling or long-polling (`GET /v1/jobs/{id}?wait=SECONDS`), or follow every change',
  'of a job as it happens (`GET /v1/jobs/{id}/events` as Server-Sent Events, `GET /v1/events`, `GET /v1/ws`).',
  '',
  'Every error answer is `{"error":{"code","message","field"?}}`: `code` is a stable `SLUICE_*` code and `field`',
  'names the input at fault as a dotted path (`priority`, `jobs.3.type`). A rejected request changes nothing.',
  '',
  'With API keys configured (`SLUICE_API_KEYS`), every operation but the probes and this document needs a key,',
  'sent as `Authorization: Bearer KEY` or `X-API-Key: KEY`; jobs are scoped to the tenant of the key.',
  'A server started without keys (single-tenant mode) accepts requests without one.',
].join('\n');

export const LICENSE = { name: 'MIT', identifier: 'MIT' };

/** Every tag a route may use, with what it groups; a route with another tag is a bug (see tagsOf). */
export const TAG_DESCRIPTIONS: Readonly<Record<string, string>> = {
  jobs: 'Submit jobs, read them (with long-poll), their output, cancel, list',
  queues: 'Counts and lag per queue; pause and resume (admin)',
  dlq: 'The dead-letter queue: failed jobs, and redrive to run them again',
  events: "A job's events (JSON, or Server-Sent Events that resume by Last-Event-ID), the tenant's feed, the WebSocket",
  webhooks: "Signed deliveries of a job's events (Standard Webhooks): tenant endpoints, the signing secret, a job's deliveries",
  usage: 'Token and cost totals of provider calls',
  health: 'Liveness and readiness probes (no key needed)',
  observability: 'Prometheus metrics (admin)',
  meta: 'This document (no key needed)',
};

/** The two ways auth.ts accepts a key; either one is enough. */
export const SECURITY_SCHEMES = {
  bearerAuth: {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key as `Authorization: Bearer KEY`',
  },
  apiKeyAuth: {
    type: 'apiKey',
    in: 'header',
    name: 'X-API-Key',
    description: 'An API key as `X-API-Key: KEY` (used when no Bearer key is sent)',
  },
} as const;

/** The security of an operation that needs a key: Bearer or X-API-Key. */
export const KEY_REQUIRED = Object.keys(SECURITY_SCHEMES).map((name) => ({ [name]: [] as string[] }));

/** The document's tags in first-use order, each with its description. */
export function tagsOf(used: readonly string[]): Array<{ name: string; description: string }> {
  return [...new Set(used)].map((name) => {
    const description = TAG_DESCRIPTIONS[name];
    if (description === undefined) throw new Error(`route tag "${name}" has no description in TAG_DESCRIPTIONS`);
    return { name, description };
  });
}
