import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import { ErrorCodes, SluiceError } from '../../core/errors.js';
import { readScope } from '../auth.js';
import type { ServerContext } from '../context.js';
import { errorBodySchema } from '../http-schemas.js';
import { WS_MAX_MESSAGE_BYTES } from '../push/ws-protocol.js';
import { WsSession } from '../push/ws-session.js';
import type { RouteDoc } from '../route-doc.js';

const err = (description: string) => ({ description, schema: errorBodySchema });

const WS_DOC: RouteDoc = {
  method: 'GET',
  url: '/v1/ws',
  access: 'tenant',
  summary: 'WebSocket: subscribe to jobs and queues with resume cursors over one connection (protocol: docs/push.md)',
  tags: ['events'],
  headers: { Upgrade: 'websocket (with the other headers of a WebSocket handshake)' },
  responses: {
    101: { description: 'Switching Protocols: JSON frames, {op:"subscribe", job|queue, after} and so on' },
    426: err('Not a WebSocket handshake (SLUICE_VALIDATION): connect with a WebSocket client'),
    501: err('The backend keeps no event log (SLUICE_NOT_SUPPORTED; capabilities.eventLog)'),
  },
};

/** GET /v1/ws: the WebSocket of the push surfaces (the session is in push/ws-session.ts). */
export async function wsRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  await app.register(websocket, { options: { maxPayload: WS_MAX_MESSAGE_BYTES } });
  ctx.routes.push(WS_DOC);
  app.route({
    method: 'GET',
    url: WS_DOC.url,
    // Before the upgrade: a client without a key, or a backend without a log, gets a plain HTTP answer.
    onRequest: async (request) => {
      ctx.auth.authenticate(request, WS_DOC.access);
      ctx.push.requireLog();
    },
    handler: async (_request, reply) => {
      const error = new SluiceError(ErrorCodes.validation, 'GET /v1/ws is a WebSocket: send the Upgrade handshake', {
        field: 'Upgrade',
      });
      return reply.code(426).header('upgrade', 'websocket').send({ error: error.toJSON() });
    },
    wsHandler: (socket, request) => {
      const session = new WsSession(socket, ctx.push, readScope(ctx.auth.callerOf(request)));
      socket.on('message', (data, isBinary) => {
        if (isBinary) session.receive('');
        else session.receive(String(data));
      });
      socket.on('close', () => session.close());
    },
  });
}
