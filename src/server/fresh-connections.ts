import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

/**
 * Closes, at shutdown, connections that have not sent a request yet. Node's server.close() ends idle
 * keep-alive connections but waits for one that never sent a request until headersTimeout (about a
 * minute); HTTP clients open such spare connections (undici does after an aborted request), which
 * would hold up a graceful shutdown for that long.
 */
export function closeFreshConnectionsOnClose(app: FastifyInstance): void {
  const fresh = new Set<Socket>();
  app.server.on('connection', (socket: Socket) => {
    fresh.add(socket);
    socket.once('close', () => fresh.delete(socket));
  });
  app.server.on('request', (request: { socket: Socket }) => {
    fresh.delete(request.socket);
  });
  app.addHook('preClose', async () => {
    for (const socket of fresh) socket.destroy();
    fresh.clear();
  });
}
