import { Cluster, type Redis } from 'ioredis';

/** The private timer ioredis arms for `socketTimeout` (see clearStaleSocketTimers). */
type WithSocketTimer = { socketTimeoutTimer?: NodeJS.Timeout | undefined };

/**
 * ioredis (5.11) arms its `socketTimeout` timer on a connection and clears it only when data
 * arrives: when that connection closes first, the timer survives and later destroys the healthy
 * connection that replaced it. Clearing it as each connection closes keeps one fault from costing a
 * second reconnect. A Cluster's node connections are covered as the Cluster creates them.
 */
export function clearStaleSocketTimers(client: Redis | Cluster): void {
  if (client instanceof Cluster) {
    client.on('+node', (node: Redis) => clearOnClose(node));
    return;
  }
  clearOnClose(client);
}

function clearOnClose(node: Redis): void {
  node.on('close', () => {
    const timers = node as unknown as WithSocketTimer;
    clearTimeout(timers.socketTimeoutTimer);
    timers.socketTimeoutTimer = undefined;
  });
}
