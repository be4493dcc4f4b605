import { createHmac, randomBytes } from 'node:crypto';
import { ErrorCodes, SluiceError } from '../core/errors.js';

/** The prefix of a Standard Webhooks signing secret; the rest is the key, base64. */
export const SECRET_PREFIX = 'whsec_';

/** The headers of one signed delivery (Standard Webhooks). */
export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** A new signing secret: `whsec_` and 32 random bytes, base64. */
export function newWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
}

/** The key bytes of a `whsec_…` secret; SLUICE_CONFIG naming `field` when it is not one. */
export function secretKey(secret: string, field = 'SLUICE_WEBHOOK_SECRET'): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : '';
  const key = Buffer.from(encoded, 'base64');
  // Buffer.from ignores characters outside the alphabet: compare the round trip to catch them.
  if (key.length < 16 || key.toString('base64').replace(/=+$/, '') !== encoded.replace(/=+$/, '')) {
    throw new SluiceError(ErrorCodes.config, `${field} must be whsec_ followed by at least 16 bytes in base64`, { field });
  }
  return key;
}

/**
 * Signs one delivery as the Standard Webhooks spec says: `v1,` and the base64 HMAC-SHA256 of
 * `id.timestamp.body` under each key, space-separated. While a secret is being rotated both the new
 * and the old key sign, so a receiver that knows either accepts the delivery.
 */
export function signDelivery(params: { id: string; timestamp: Date; body: string; keys: readonly Buffer[] }): SignedHeaders {
  const seconds = Math.floor(params.timestamp.getTime() / 1000).toString();
  const content = `${params.id}.${seconds}.${params.body}`;
  const signatures = params.keys.map((key) => `v1,${createHmac('sha256', key).update(content).digest('base64')}`);
  return { 'webhook-id': params.id, 'webhook-timestamp': seconds, 'webhook-signature': signatures.join(' ') };
}
