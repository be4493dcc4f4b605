import type { NodeConnectionOptions } from '@nats-io/transport-node';

/**
 * How a handle reaches NATS. The client reconnects by itself for ever (the handle never gives up
 * on the broker), with backoff from RECONNECT_MIN_MS doubling to RECONNECT_MAX_MS. A link that dies
 * silently is noticed by the client's pings: every PING_INTERVAL_MS, MAX_PINGS_OUT unanswered ones
 * drop the connection (the client's default of 2 minutes would leave a consumer deaf for minutes).
 */
export const RECONNECT_MIN_MS = 100;
export const RECONNECT_MAX_MS = 5_000;
export const PING_INTERVAL_MS = 5_000;
export const MAX_PINGS_OUT = 2;
export const CONNECT_TIMEOUT_MS = 10_000;

/** What a `nats://` backend URL says: the servers, credentials and the adapter's own options. */
export interface NatsUrl {
  /** `host:port` of each server (`nats://a:4222,b:4222` names two). */
  servers: string[];
  user?: string;
  pass?: string;
  /** `?token=…`: a token instead of a user and password. */
  token?: string;
  /** `?prefix=NAME`: the adapter's name prefix (default `sluice`). */
  prefix?: string;
}

/**
 * Parses `nats://[user:pass@]host[:port][,host[:port]…][?prefix=NAME][&token=T]`. TLS is
 * negotiated by the client when the server asks for it.
 * Unknown query options are refused, so that a typo does not silently connect with defaults.
 */
export function parseNatsUrl(url: string): NatsUrl {
  const match = /^nats:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?]+)\/?(?:\?(.*))?$/i.exec(url);
  if (!match) throw new Error(`not a nats:// URL: ${redactNatsUrl(url)}`);
  const [, user, pass, hosts, query] = match;
  const parsed: NatsUrl = {
    servers: hosts!.split(',').map((host) => (host.includes(':') ? host : `${host}:4222`)),
  };
  if (user) parsed.user = decodeURIComponent(user);
  if (pass !== undefined) parsed.pass = decodeURIComponent(pass);
  const params = new URLSearchParams(query ?? '');
  for (const key of params.keys()) {
    if (key !== 'prefix' && key !== 'token') throw new Error(`unknown nats URL option "${key}" (known: prefix, token)`);
  }
  const prefix = params.get('prefix');
  if (prefix !== null && prefix !== '') parsed.prefix = prefix;
  const token = params.get('token');
  if (token !== null && token !== '') parsed.token = token;
  return parsed;
}

/** The wait before each round of reconnect attempts: doubling, back to the minimum once connected. */
export class ReconnectBackoff {
  private delay = RECONNECT_MIN_MS;

  next(): number {
    const wait = this.delay;
    this.delay = Math.min(this.delay * 2, RECONNECT_MAX_MS);
    return wait;
  }

  reset(): void {
    this.delay = RECONNECT_MIN_MS;
  }
}

/** The client's options for a parsed URL: reconnect for ever with `backoff`, short pings. */
export function connectionOptions(url: NatsUrl, name: string, backoff: ReconnectBackoff): NodeConnectionOptions {
  return {
    servers: url.servers,
    name,
    ...(url.user !== undefined ? { user: url.user } : {}),
    ...(url.pass !== undefined ? { pass: url.pass } : {}),
    ...(url.token !== undefined ? { token: url.token } : {}),
    timeout: CONNECT_TIMEOUT_MS,
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectDelayHandler: () => backoff.next(),
    pingInterval: PING_INTERVAL_MS,
    maxPingOut: MAX_PINGS_OUT,
    // A single server's INFO may advertise cluster peers that are not reachable from here.
    ignoreClusterUpdates: true,
  };
}

export function redactNatsUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]+@/, '//$1:***@').replace(/([?&]token=)[^&]*/, '$1***');
}
