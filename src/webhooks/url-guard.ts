import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { lookup as dnsLookupAll } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ValidationError } from '../core/errors.js';
import { parseWebhookUrl } from '../core/webhook-url.js';
import type { AddressPolicy } from './address-policy.js';

export { MAX_WEBHOOK_URL_LENGTH, parseWebhookUrl } from '../core/webhook-url.js';

/** Resolves a host name to every address it has (node's dns.lookup with `all`; tests inject one). */
export type Resolver = (hostname: string) => Promise<string[]>;

export const systemResolver: Resolver = async (hostname) =>
  (await dnsLookupAll(hostname, { all: true, verbatim: true })).map((entry) => entry.address);

/** The host of a URL as DNS and isIP want it: IPv6 literals lose their brackets. */
function hostOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/**
 * The SSRF guard at submit: the URL's shape, then every address its host resolves to must be one
 * the policy allows (a host the allowlist names passes as it is). Throws ValidationError naming
 * `field`; a host that does not resolve is refused too (nothing could be delivered to it).
 */
export async function checkWebhookUrl(
  text: string,
  policy: AddressPolicy,
  options: { resolve?: Resolver | undefined; field?: string } = {},
): Promise<URL> {
  const field = options.field ?? 'webhook.url';
  const url = parseWebhookUrl(text, field);
  const host = hostOf(url);
  if (policy.allowsHost(host)) return url;
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : await (options.resolve ?? systemResolver)(host);
  } catch {
    throw new ValidationError(`${field}: the host ${host} does not resolve`, field);
  }
  for (const address of addresses) {
    const refusal = policy.refusal(address);
    if (refusal !== undefined) throw new ValidationError(`${field} is refused: ${host} resolves to ${refusal}`, field);
  }
  return url;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for node's http(s) agents that applies the guard again at connect time, on the
 * addresses the connection would really use: DNS can answer differently between submit and
 * delivery (rebinding), so the check at submit alone is not enough.
 */
export function guardedLookup(policy: AddressPolicy) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const list = addresses as LookupAddress[];
      if (!policy.allowsHost(hostname)) {
        for (const entry of list) {
          const refusal = policy.refusal(entry.address);
          if (refusal !== undefined) {
            const refused: NodeJS.ErrnoException = new Error(`webhook host ${hostname} resolves to ${refusal}`);
            refused.code = 'ESLUICEREFUSED';
            return callback(refused, []);
          }
        }
      }
      if (options.all) return callback(null, list);
      const first = list[0];
      if (!first) return callback(Object.assign(new Error(`webhook host ${hostname} has no address`), { code: 'ENOTFOUND' }), []);
      return callback(null, first.address, first.family);
    });
  };
}
