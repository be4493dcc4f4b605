import { z } from 'zod';
import { ValidationError } from './errors.js';
import { JOB_EVENT_TYPES } from './ports/event-log.js';

/** Longest webhook URL accepted. */
export const MAX_WEBHOOK_URL_LENGTH = 2_048;

/** Why `text` cannot be a webhook URL (http or https, no credentials, a host, not too long), or undefined. */
export function webhookUrlProblem(text: string): string | undefined {
  if (text.length > MAX_WEBHOOK_URL_LENGTH) return `is longer than ${MAX_WEBHOOK_URL_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'is not a URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `must be http or https, not ${url.protocol.slice(0, -1)}`;
  if (url.username !== '' || url.password !== '') return 'must not carry credentials';
  if (url.hostname === '') return 'has no host';
  return undefined;
}

/**
 * The shape checks of a webhook URL, before any DNS (the SSRF guard in src/webhooks/ does that).
 * Throws ValidationError naming `field`.
 */
export function parseWebhookUrl(text: string, field = 'webhook.url'): URL {
  const problem = webhookUrlProblem(text);
  if (problem !== undefined) throw new ValidationError(`${field} ${problem}`, field);
  return new URL(text);
}

/** A webhook URL as a request gives it: its shape only (the SSRF guard checks where it leads). */
export const webhookUrlSchema = z.string().superRefine((url, ctx) => {
  const problem = webhookUrlProblem(url);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

/** The event types a webhook asks for. */
export const webhookEventsSchema = z.array(z.enum(JOB_EVENT_TYPES)).min(1).max(JOB_EVENT_TYPES.length);
