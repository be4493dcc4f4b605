import { AddressPolicy } from './address-policy.js';
import type { Resolver } from './url-guard.js';

/** How webhooks are delivered; the CLI fills it from SLUICE_WEBHOOK_* (src/config). */
export interface WebhookSettings {
  /**
   * Signing secrets (`whsec_…`) for the jobs of a deployment without tenants, newest first: every
   * one signs, so an operator rotates by putting the new secret in front and dropping the old one
   * after the overlap (SLUICE_WEBHOOK_SECRET, space-separated). Empty: a secret kept in the backend.
   */
  secrets?: readonly string[] | undefined;
  /** Who may be reached (the SSRF guard); default: public unicast addresses only. */
  policy?: AddressPolicy | undefined;
  /** Per attempt: connect, send and the receiver's answer together. Default 10 s. */
  timeoutMs?: number | undefined;
  /** A delivery is retried (exponential backoff, full jitter) for at most this long. Default 24 h. */
  retryForMs?: number | undefined;
  /** The first retry's wait cap; each later one doubles it (up to an hour), full jitter. Default 5 s. */
  retryDelayMs?: number | undefined;
  /** Deliveries in flight at once in one process. Default 16. */
  concurrency?: number | undefined;
  /** Deliveries in flight at once to one receiver (scheme, host and port) from one process. Default 4. */
  endpointConcurrency?: number | undefined;
  /** How long a rotated-out tenant secret keeps signing. Default 24 h. */
  rotationOverlapMs?: number | undefined;
  /** How often the dispatcher looks at the event feed when nothing woke it. Default 250 ms. */
  pollIntervalMs?: number | undefined;
  /** How long delivery records are kept. Default 30 days. */
  keepForMs?: number | undefined;
  /** DNS for the guard at submit (tests inject one). */
  resolve?: Resolver | undefined;
}

const HOUR = 3_600_000;

export const WEBHOOK_DEFAULTS = {
  timeoutMs: 10_000,
  retryForMs: 24 * HOUR,
  retryDelayMs: 5_000,
  concurrency: 16,
  endpointConcurrency: 4,
  rotationOverlapMs: 24 * HOUR,
  pollIntervalMs: 250,
  keepForMs: 30 * 24 * HOUR,
} as const;

export type ResolvedWebhookSettings = {
  [K in Exclude<keyof WebhookSettings, 'resolve'>]-?: Exclude<WebhookSettings[K], undefined>;
} & {
  resolve: Resolver | undefined;
};

export function resolveWebhookSettings(settings: WebhookSettings = {}): ResolvedWebhookSettings {
  return {
    secrets: settings.secrets ?? [],
    policy: settings.policy ?? new AddressPolicy(),
    timeoutMs: settings.timeoutMs ?? WEBHOOK_DEFAULTS.timeoutMs,
    retryForMs: settings.retryForMs ?? WEBHOOK_DEFAULTS.retryForMs,
    retryDelayMs: settings.retryDelayMs ?? WEBHOOK_DEFAULTS.retryDelayMs,
    concurrency: settings.concurrency ?? WEBHOOK_DEFAULTS.concurrency,
    endpointConcurrency: settings.endpointConcurrency ?? WEBHOOK_DEFAULTS.endpointConcurrency,
    rotationOverlapMs: settings.rotationOverlapMs ?? WEBHOOK_DEFAULTS.rotationOverlapMs,
    pollIntervalMs: settings.pollIntervalMs ?? WEBHOOK_DEFAULTS.pollIntervalMs,
    keepForMs: settings.keepForMs ?? WEBHOOK_DEFAULTS.keepForMs,
    resolve: settings.resolve,
  };
}

/** The internal queue and job type that carry deliveries (retries, leases, durability for free). */
export const DELIVERY_QUEUE = 'sluice.webhooks';
export const DELIVERY_JOB_TYPE = 'sluice.webhook.deliver';
