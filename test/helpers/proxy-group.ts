import type { ProxyMode, TcpProxy } from './tcp-proxy.js';

/** What a network fault does to a service's connections: one proxy, or several acting as one. */
export type FaultableLink = Pick<TcpProxy, 'setMode' | 'refuse' | 'resetAll'>;

/**
 * Several proxies faulted together: a Redis Cluster has one per node, and a fault between Sluice
 * and "the store" acts on every node's connections at once.
 */
export class ProxyGroup implements FaultableLink {
  constructor(readonly proxies: readonly TcpProxy[]) {}

  setMode(mode: ProxyMode): void {
    for (const proxy of this.proxies) proxy.setMode(mode);
  }

  refuse(on: boolean): void {
    for (const proxy of this.proxies) proxy.refuse(on);
  }

  resetAll(): void {
    for (const proxy of this.proxies) proxy.resetAll();
  }

  /** Connections accepted by all of them since they started. */
  get accepted(): number {
    return this.proxies.reduce((sum, proxy) => sum + proxy.accepted, 0);
  }
}
