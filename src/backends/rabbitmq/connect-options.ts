/**
 * How a handle reaches the broker. A link that dies silently (packets dropped, no RST or FIN) is
 * noticed only by AMQP heartbeats: the broker's default of 60 s means two minutes of a consumer that
 * receives nothing while its deliveries sit unacked, so the handle asks for a short one unless the
 * URL names its own (`?heartbeat=N`, seconds; 0 turns them off). A connection attempt that gets no
 * answer gives up after `CONNECT_TIMEOUT_MS` and the reconnect loop tries again.
 */
export const DEFAULT_HEARTBEAT_SECONDS = 5;
export const CONNECT_TIMEOUT_MS = 10_000;

/** The URL with the default heartbeat added when it names none. */
export function withHeartbeat(url: string): string {
  const parsed = new URL(url);
  if (parsed.searchParams.has('heartbeat')) return url;
  parsed.searchParams.set('heartbeat', String(DEFAULT_HEARTBEAT_SECONDS));
  return parsed.toString();
}

/** Socket options for amqplib's connect: no Nagle (see connectOnce), a bounded connection attempt. */
export const SOCKET_OPTIONS = { noDelay: true, timeout: CONNECT_TIMEOUT_MS } as const;
