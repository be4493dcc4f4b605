import { EventEmitter, once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * How the proxy treats traffic:
 * - `pass`: bytes flow both ways (the normal state).
 * - `hold`: a partition. Bytes are kept, neither side sees anything, connections stay open; going
 *   back to `pass` delivers what was held, in order (a stalled network that recovers).
 * - `drop`: a silent drop (a black hole): bytes in both directions are read and thrown away, no RST,
 *   no FIN, the peer waits for answers that never come. A connection that lost bytes this way stays
 *   a black hole after the mode changes back: TCP never delivers a stream with a gap, so such a
 *   connection can only die (its owner must notice by timeouts or keepalive); connections opened
 *   after the drop ends pass.
 * The proxy emits `accept` once it has taken a connection (or refused it) and `drop` for each chunk
 * it throws away, so tests wait on those instead of sleeping.
 * New connections are accepted in every mode (they are held or dropped like the others), except
 * while `refuse` is on.
 */
export type ProxyMode = 'pass' | 'hold' | 'drop';

interface Pair {
  client: Socket;
  upstream: Socket;
  /** Chunks waiting while the mode is `hold`, per direction. */
  toUpstream: Buffer[];
  toClient: Buffer[];
  /** Lost bytes during a drop: swallows everything from then on (see ProxyMode `drop`). */
  blackholed: boolean;
}

/**
 * A loopback TCP proxy for fault tests: put it between Sluice and a service (PostgreSQL, Redis,
 * RabbitMQ, NATS) and cut, stall or drop the connections on command. Only ever listens on and
 * connects to 127.0.0.1.
 *
 *   const proxy = await TcpProxy.start({ port: 6379 });
 *   const url = `redis://127.0.0.1:${proxy.port}`;
 *   proxy.resetAll();          // connection drop (RST) of every open connection
 *   proxy.setMode('hold');     // partition: bytes held until setMode('pass')
 *   await proxy.close();
 */
export class TcpProxy extends EventEmitter<{ accept: []; drop: [bytes: number] }> {
  private readonly pairs = new Set<Pair>();
  private mode: ProxyMode = 'pass';
  private refusing = false;
  /** Connections accepted since start (a reconnecting client shows up here). */
  accepted = 0;

  private constructor(
    private readonly server: Server,
    private readonly target: { host: string; port: number },
  ) {
    super();
  }

  /** Starts a proxy to 127.0.0.1:`port` (or `host`, which must be a loopback address). */
  static async start(target: { port: number; host?: string; listenPort?: number }): Promise<TcpProxy> {
    const host = target.host ?? '127.0.0.1';
    if (!host.startsWith('127.') && host !== 'localhost' && host !== '::1') {
      throw new Error(`TcpProxy only forwards to loopback addresses, not ${host}`);
    }
    const server = createServer({ noDelay: true });
    const proxy = new TcpProxy(server, { host, port: target.port });
    server.on('connection', (client) => proxy.accept(client));
    server.listen(target.listenPort ?? 0, '127.0.0.1');
    await once(server, 'listening');
    return proxy;
  }

  /** The port the proxy listens on (127.0.0.1). */
  get port(): number {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy is not listening');
    return address.port;
  }

  /** Open client connections right now. */
  get connections(): number {
    return this.pairs.size;
  }

  get currentMode(): ProxyMode {
    return this.mode;
  }

  setMode(mode: ProxyMode): void {
    this.mode = mode;
    if (mode !== 'pass') return;
    for (const pair of this.pairs) this.flush(pair);
  }

  /** While on, new connections are reset as soon as they arrive (the service looks down). */
  refuse(on: boolean): void {
    this.refusing = on;
  }

  /** Ends every open connection with a TCP reset, as a crashed peer or a middlebox would. */
  resetAll(): void {
    for (const pair of this.pairs) this.destroy(pair);
  }

  async close(): Promise<void> {
    this.resetAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    this.accepted++;
    if (this.refusing) {
      client.resetAndDestroy();
      this.emit('accept');
      return;
    }
    const upstream = connect({ host: this.target.host, port: this.target.port, noDelay: true });
    const pair: Pair = { client, upstream, toUpstream: [], toClient: [], blackholed: this.mode === 'drop' };
    this.pairs.add(pair);
    client.on('data', (chunk: Buffer) => this.forward(pair, chunk, 'toUpstream'));
    upstream.on('data', (chunk: Buffer) => this.forward(pair, chunk, 'toClient'));
    // Either side closing or failing closes the other: a reset stays a reset.
    const end = () => this.destroy(pair);
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
    this.emit('accept');
  }

  private forward(pair: Pair, chunk: Buffer, direction: 'toUpstream' | 'toClient'): void {
    if (this.mode === 'drop') pair.blackholed = true;
    if (pair.blackholed) {
      this.emit('drop', chunk.length);
      return;
    }
    if (this.mode === 'hold') {
      pair[direction].push(chunk);
      return;
    }
    (direction === 'toUpstream' ? pair.upstream : pair.client).write(chunk);
  }

  private flush(pair: Pair): void {
    for (const chunk of pair.toUpstream.splice(0)) pair.upstream.write(chunk);
    for (const chunk of pair.toClient.splice(0)) pair.client.write(chunk);
  }

  private destroy(pair: Pair): void {
    if (!this.pairs.delete(pair)) return;
    if (!pair.client.destroyed) pair.client.resetAndDestroy();
    if (!pair.upstream.destroyed) pair.upstream.resetAndDestroy();
  }
}
