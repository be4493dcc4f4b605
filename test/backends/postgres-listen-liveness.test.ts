import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { Notifier } from '../../src/backends/postgres/notifier.js';
import type { WireMessage } from '../../src/backends/postgres/notify-payload.js';
import { serviceSkipReason } from '../helpers/require-service.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { until } from '../helpers/until.js';

const PG_URL = process.env.SLUICE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const skip = await serviceSkipReason('PostgreSQL', PG_URL, async () => {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
  } finally {
    await client.end().catch(() => undefined);
  }
});

/**
 * A LISTEN connection cut off by a silent drop raises no error: it only waits. The notifier's
 * liveness probe (a query bounded by query_timeout) must notice and replace it, or cross-process
 * wake-ups stop for good (issue 16, defect 4).
 */
describe('postgres: the LISTEN connection survives a silent drop', { skip }, () => {
  let proxy: TcpProxy;
  let pool: pg.Pool;
  const channel = `sluice_liveness_${process.pid}`;

  before(async () => {
    proxy = await TcpProxy.start({ port: Number(new URL(PG_URL).port || 5432) });
    pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
  });
  after(async () => {
    await pool.end();
    await proxy.close();
  });

  test('a black-holed LISTEN connection is replaced and notifications flow again', async () => {
    const proxied = new URL(PG_URL);
    proxied.host = `127.0.0.1:${proxy.port}`;
    const received: WireMessage[] = [];
    const listener = new Notifier({
      channel,
      origin: 'listener',
      pool,
      connect: () => new pg.Client({ connectionString: proxied.toString(), query_timeout: 500, connectionTimeoutMillis: 1000 }),
      onMessage: (message) => received.push(message),
      probeIntervalMs: 100,
    });
    const sender = new Notifier({
      channel,
      origin: 'sender',
      pool,
      connect: () => new pg.Client(PG_URL),
      onMessage: () => undefined,
    });
    await listener.start();
    try {
      const heard = async (queue: string) =>
        until(
          async () => {
            sender.publish([['e', queue, 1]]);
            return received.some((m) => m.v.some((e) => e[0] === 'e' && e[1] === queue));
          },
          `a notification for ${queue}`,
          15_000,
          100,
        );
      await heard('before');
      const acceptedBefore = proxy.accepted;

      // The drop swallows the probe's query; the connection stays a black hole after the drop ends.
      proxy.setMode('drop');
      await once(proxy, 'drop');
      proxy.setMode('pass');
      sender.publish([['e', 'lost', 1]]);

      // The probe times out, the notifier reconnects through the proxy and LISTENs again.
      await heard('after');
      assert.ok(proxy.accepted > acceptedBefore, 'the notifier opened a new LISTEN connection');
    } finally {
      await listener.close();
      await sender.close();
    }
  });
});
