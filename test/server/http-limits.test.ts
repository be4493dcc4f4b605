import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { ErrorCodes, hasErrorCode } from '../../src/core/errors.js';
import { buildApp } from '../../src/server/app.js';
import { DEFAULT_HTTP_LIMITS, resolveHttpLimits } from '../../src/server/http-limits.js';
import { Sluice } from '../../src/sluice.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/** A raw connection to the app and everything it sent back until it closed. */
async function rawConnection(port: number): Promise<{ socket: Socket; closed: Promise<string> }> {
  const socket = connect({ host: '127.0.0.1', port });
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => undefined); // a reset after the answer is part of some cases
  const closed = once(socket, 'close').then(() => Buffer.concat(chunks).toString('latin1'));
  await once(socket, 'connect');
  return { socket, closed };
}

/** Status and JSON body of a raw HTTP/1.1 answer. */
function parseAnswer(raw: string): { status: number; body: { error: { code: string; message: string } } } {
  const [head = '', body = ''] = raw.split('\r\n\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
  return { status, body: JSON.parse(body) };
}

describe('HTTP limits: configuration', () => {
  test('the connection timeout defaults past the longest long poll; one that would cut it is SLUICE_CONFIG', () => {
    assert.equal(resolveHttpLimits({}, 60).connectionTimeoutMs > 60_000, true);
    assert.equal(resolveHttpLimits({ connectionTimeoutMs: 5_000 }, 1).connectionTimeoutMs, 5_000);
    assert.throws(
      () => resolveHttpLimits({ connectionTimeoutMs: 30_000 }, 60),
      (e: unknown) => hasErrorCode(e, ErrorCodes.config) && (e as { field?: string }).field === 'SLUICE_CONNECTION_TIMEOUT_MS',
    );
    assert.throws(
      () => resolveHttpLimits({ headersTimeoutMs: 20_000, requestTimeoutMs: 10_000 }, 60),
      (e: unknown) => hasErrorCode(e, ErrorCodes.config) && (e as { field?: string }).field === 'SLUICE_HEADERS_TIMEOUT_MS',
    );
    assert.equal(resolveHttpLimits({ maxConnections: undefined }, 60).maxConnections, DEFAULT_HTTP_LIMITS.maxConnections);
  });
});

describe('HTTP limits on a listening server (raw sockets)', () => {
  const temp = makeTempDir('sluice-http-limits-');
  let sluice: Sluice;
  let app: FastifyInstance;
  let port: number;

  before(async () => {
    sluice = await Sluice.connect(`sqlite:${join(temp.dir, 'test.db')}`);
    app = await buildApp({
      sluice,
      maxWaitSeconds: 1,
      httpLimits: {
        requestTimeoutMs: 600,
        headersTimeoutMs: 400,
        keepAliveTimeoutMs: 300,
        connectionTimeoutMs: 2_000,
        maxConnections: 3,
      },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    port = typeof address === 'object' && address !== null ? address.port : 0;
  });
  after(async () => {
    await app.close();
    await sluice.close();
    temp.cleanup();
  });

  test('a connection that never sends a request is closed', { timeout: 10_000 }, async () => {
    const { closed } = await rawConnection(port);
    await closed;
  });

  test('a body dribbled byte by byte is cut at the request timeout with 408 in Sluice form', { timeout: 10_000 }, async () => {
    const { socket, closed } = await rawConnection(port);
    socket.write('POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n');
    // One byte every 50 ms keeps the socket busy, so only the whole-request deadline ends it.
    const dribble = setInterval(() => {
      if (socket.writable) socket.write(' ');
    }, 50);
    try {
      const answer = parseAnswer(await closed);
      assert.equal(answer.status, 408);
      assert.equal(answer.body.error.code, ErrorCodes.requestTimeout);
      assert.equal(typeof answer.body.error.message, 'string');
    } finally {
      clearInterval(dribble);
    }
  });

  test('an idle keep-alive connection is closed after an answered request', { timeout: 10_000 }, async () => {
    const { socket, closed } = await rawConnection(port);
    const answered = once(socket, 'data');
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await answered;
    const raw = await closed;
    assert.match(raw, /^HTTP\/1\.1 200/);
  });

  test('a malformed request line is 400 in Sluice form', { timeout: 10_000 }, async () => {
    const { socket, closed } = await rawConnection(port);
    socket.write('THIS IS NOT HTTP\r\n\r\n');
    const answer = parseAnswer(await closed);
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error.code, ErrorCodes.validation);
  });

  test('headers over the size limit are 431 in Sluice form', { timeout: 10_000 }, async () => {
    const { socket, closed } = await rawConnection(port);
    socket.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    const answer = parseAnswer(await closed);
    assert.equal(answer.status, 431);
    assert.equal(answer.body.error.code, ErrorCodes.headersTooLarge);
  });

  test('connections over maxConnections are closed as they arrive', { timeout: 10_000 }, async () => {
    const held: Socket[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const { socket } = await rawConnection(port);
        held.push(socket);
        // Each one has started a request, so none is closed as idle meanwhile.
        socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
      }
      const dropped = once(app.server, 'drop');
      const extra = await rawConnection(port);
      await dropped;
      await extra.closed;
    } finally {
      for (const socket of held) socket.destroy();
    }
  });
});
