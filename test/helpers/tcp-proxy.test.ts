import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { TcpProxy } from './tcp-proxy.js';

// The fault proxy itself: the chaos and fault tests trust it to pass, hold, drop and reset.
describe('TcpProxy', () => {
  // The proxy's resets reach the echo side as ECONNRESET: expected here.
  const echo = createServer((socket) => socket.on('error', () => {}).pipe(socket));
  let echoPort = 0;
  before(async () => {
    echo.listen(0, '127.0.0.1');
    await once(echo, 'listening');
    echoPort = (echo.address() as { port: number }).port;
  });
  after(() => echo.close());

  async function open(proxy: TcpProxy): Promise<Socket> {
    const accepted = once(proxy, 'accept');
    const socket = connect({ host: '127.0.0.1', port: proxy.port });
    await Promise.all([once(socket, 'connect'), accepted]);
    return socket;
  }
  const nextData = async (socket: Socket) => String((await once(socket, 'data'))[0]);

  it('passes bytes both ways', async () => {
    const proxy = await TcpProxy.start({ port: echoPort });
    const socket = await open(proxy);
    socket.write('hello');
    assert.equal(await nextData(socket), 'hello');
    socket.destroy();
    await proxy.close();
  });

  it('holds bytes during a partition and delivers them, in order, when it ends', async () => {
    const proxy = await TcpProxy.start({ port: echoPort });
    const socket = await open(proxy);
    proxy.setMode('hold');
    let received = '';
    socket.on('data', (chunk) => {
      received += String(chunk);
    });
    socket.write('a');
    socket.write('b');
    // A round trip through a second, passing proxy proves the event loop had time to deliver.
    const probe = await TcpProxy.start({ port: echoPort });
    const other = await open(probe);
    other.write('x');
    await nextData(other);
    assert.equal(received, '');
    const echoed = once(socket, 'data');
    proxy.setMode('pass');
    await echoed;
    while (received.length < 2) await once(socket, 'data');
    assert.equal(received, 'ab');
    other.destroy();
    socket.destroy();
    await probe.close();
    await proxy.close();
  });

  it('drops bytes silently; a connection that lost bytes stays a black hole, new ones pass', async () => {
    const proxy = await TcpProxy.start({ port: echoPort });
    const socket = await open(proxy);
    proxy.setMode('drop');
    let received = '';
    socket.on('data', (chunk) => {
      received += String(chunk);
    });
    const dropped = once(proxy, 'drop');
    socket.write('lost');
    await dropped;
    proxy.setMode('pass');
    // TCP never delivers a stream with a gap: what follows on this connection is swallowed too.
    const swallowed = once(proxy, 'drop');
    socket.write('after');
    await swallowed;
    const fresh = await open(proxy);
    fresh.write('fresh');
    assert.equal(await nextData(fresh), 'fresh');
    assert.equal(received, '');
    assert.equal(socket.destroyed, false);
    fresh.destroy();
    socket.destroy();
    await proxy.close();
  });

  it('resets open connections and refuses new ones on command', async () => {
    const proxy = await TcpProxy.start({ port: echoPort });
    const socket = await open(proxy);
    // events.once rejects on 'error'; a reset is an ECONNRESET error followed by 'close'.
    socket.on('error', () => {});
    const closed = new Promise((resolve) => socket.on('close', resolve));
    proxy.resetAll();
    await closed;
    assert.equal(proxy.connections, 0);
    proxy.refuse(true);
    const turnedAway = once(proxy, 'accept');
    const refused = connect({ host: '127.0.0.1', port: proxy.port });
    refused.on('error', () => {});
    await Promise.all([new Promise((resolve) => refused.on('close', resolve)), turnedAway]);
    assert.equal(proxy.connections, 0);
    proxy.refuse(false);
    const again = await open(proxy);
    again.write('back');
    assert.equal(await nextData(again), 'back');
    again.destroy();
    await proxy.close();
  });

  it('refuses to forward anywhere but loopback', async () => {
    await assert.rejects(TcpProxy.start({ port: 80, host: '10.0.0.1' }), /loopback/);
  });
});
