import type { Config } from '../config/config.js';
import { AddressPolicy } from '../webhooks/address-policy.js';
import type { WebhookSettings } from '../webhooks/settings.js';
import { secretKey } from '../webhooks/signature.js';

/** The webhook settings of SLUICE_WEBHOOK*; a malformed secret or allowlist stops start-up naming the variable. */
export function webhookSettingsFrom(config: Config): WebhookSettings | false {
  if (config.SLUICE_WEBHOOKS === 'off') return false;
  for (const secret of config.SLUICE_WEBHOOK_SECRET) secretKey(secret, 'SLUICE_WEBHOOK_SECRET');
  return {
    secrets: config.SLUICE_WEBHOOK_SECRET,
    policy: AddressPolicy.fromAllowList(config.SLUICE_WEBHOOK_ALLOW),
    timeoutMs: config.SLUICE_WEBHOOK_TIMEOUT_MS,
    retryForMs: config.SLUICE_WEBHOOK_RETRY_FOR_MS,
    retryDelayMs: config.SLUICE_WEBHOOK_RETRY_DELAY_MS,
    concurrency: config.SLUICE_WEBHOOK_CONCURRENCY,
    endpointConcurrency: config.SLUICE_WEBHOOK_ENDPOINT_CONCURRENCY,
    rotationOverlapMs: config.SLUICE_WEBHOOK_ROTATION_OVERLAP_MS,
  };
}
