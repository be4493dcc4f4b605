import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_COMMAND_TIMEOUT_MS, parseRedisUrl } from '../../src/backends/redis/connection.js';
import { ErrorCodes, hasErrorCode } from '../../src/core/errors.js';
import { Sluice } from '../../src/sluice.js';
import { dropRedisPrefix } from '../helpers/redis-prefix.js';
import { redisStoreSkip } from '../helpers/store-rig.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { until } from '../helpers/until.js';

const url = process.env.SLUICE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const target = new URL(url);

const skip = await redisStoreSkip();

/** Short enough for a test, long enough that no healthy call on a loaded machine reaches it. */
const COMMAND_TIMEOUT_MS = 1_000;

/** Resolves with the call's outcome: its value, or the Sluice code it failed with. */
async function outcome<T>(call: Promise<T>): Promise<{ ok: T } | { code: string | undefined }> {
  try {
    return { ok: await call };
  } catch (error) {
    return { code: hasErrorCode(error, ErrorCodes.backendUnavailable) ? ErrorCodes.backendUnavailable : String(error) };
  }
}

/**
 * Enqueues until one succeeds: right after a fault the client may still be reconnecting, and a call
 * made meanwhile fails at once (no offline queue).
 */
async function enqueueOnceHealed(sluice: Sluice, input: unknown) {
  return until(
    async () => {
      const attempt = await outcome(sluice.enqueue({ queue: 'q', type: 'echo', input }));
      return 'ok' in attempt ? attempt.ok : undefined;
    },
    'an enqueue that succeeds after the fault',
    10 * COMMAND_TIMEOUT_MS,
  );
}

describe('redis URL: commandTimeoutMs', () => {
  test('bounds each command; a default when absent; taken out of the URL ioredis sees', () => {
    assert.equal(parseRedisUrl('redis://h:6379').commandTimeoutMs, DEFAULT_COMMAND_TIMEOUT_MS);
    const target = parseRedisUrl('redis://h:6379/2?commandTimeoutMs=750&prefix=p');
    assert.equal(target.commandTimeoutMs, 750);
    assert.equal(target.url, 'redis://h:6379/2');
    assert.equal(parseRedisUrl('redis://h:7000,h:7001?cluster=1&commandTimeoutMs=900').commandTimeoutMs, 900);
  });

  test('a value that is not a positive whole number is a SLUICE_CONFIG error', () => {
    for (const bad of ['0', '-5', '1.5', 'soon', '']) {
      assert.throws(
        () => parseRedisUrl(`redis://h:6379?commandTimeoutMs=${bad}`),
        (e: unknown) => hasErrorCode(e, ErrorCodes.config),
        bad,
      );
    }
  });
});

describe('redis: a dropped or stalled connection (invariant 7)', { skip }, () => {
  let proxy: TcpProxy;
  let prefix: string;
  let viaProxy: Sluice;
  /** Straight to Redis: sees the truth while the proxied handle is cut off. */
  let direct: Sluice;

  before(async () => {
    proxy = await TcpProxy.start({ port: Number(target.port || 6379) });
  });
  after(async () => {
    await proxy.close();
  });

  const open = async () => {
    prefix = `sluicetest-${randomUUID()}`;
    viaProxy = await Sluice.connect(`redis://127.0.0.1:${proxy.port}?prefix=${prefix}&commandTimeoutMs=${COMMAND_TIMEOUT_MS}`);
    direct = await Sluice.connect(`${url}?prefix=${prefix}`);
  };
  const close = async () => {
    proxy.setMode('pass');
    await viaProxy.close({ graceMs: 0 });
    await direct.close();
    await dropRedisPrefix(url, prefix);
  };

  test('an enqueue in flight when the connection drops settles, and the next one succeeds', { timeout: 20_000 }, async () => {
    await open();
    try {
      await viaProxy.enqueue({ queue: 'q', type: 'echo', input: 0 }); // connected and warm
      // The command reaches the proxy, then the connection is reset before any reply: ioredis
      // reconnects, and the command that was on the wire must still settle.
      proxy.setMode('hold');
      const inFlight = outcome(viaProxy.enqueue({ queue: 'q', type: 'echo', input: 1 }));
      await new Promise((resolve) => setImmediate(resolve));
      proxy.resetAll();
      proxy.setMode('pass');
      const first = await inFlight;
      assert.ok('ok' in first || first.code === ErrorCodes.backendUnavailable, `settled with ${JSON.stringify(first)}`);
      const later = await enqueueOnceHealed(viaProxy, 2);
      assert.equal((await direct.getOrThrow(later.id)).status, 'queued');
    } finally {
      await close();
    }
  });

  test('while the network holds bytes, calls fail with SLUICE_BACKEND_UNAVAILABLE; after it heals they succeed', {
    timeout: 20_000,
  }, async () => {
    await open();
    try {
      await viaProxy.enqueue({ queue: 'q', type: 'echo', input: 0 });
      proxy.setMode('hold');
      const held = await outcome(viaProxy.enqueue({ queue: 'q', type: 'echo', input: 1 }));
      assert.deepEqual(held, { code: ErrorCodes.backendUnavailable });
      const heldRead = await outcome(viaProxy.stats());
      assert.deepEqual(heldRead, { code: ErrorCodes.backendUnavailable });
      proxy.setMode('pass');
      const later = await enqueueOnceHealed(viaProxy, 2);
      assert.equal((await direct.getOrThrow(later.id)).status, 'queued');
    } finally {
      await close();
    }
  });

  test('a silently dropping network: calls fail, and once it passes again the connection is replaced', {
    timeout: 20_000,
  }, async () => {
    await open();
    try {
      await viaProxy.enqueue({ queue: 'q', type: 'echo', input: 0 });
      const acceptedBefore = proxy.accepted;
      proxy.setMode('drop');
      const dropped = await outcome(viaProxy.enqueue({ queue: 'q', type: 'echo', input: 1 }));
      assert.deepEqual(dropped, { code: ErrorCodes.backendUnavailable });
      proxy.setMode('pass');
      // Replies of the dropped commands never come: a connection that kept them queued would pair
      // the next replies with the wrong commands (every later call would time out). The dead
      // connection is destroyed and replaced; a call may still meet the tail of that.
      const later = await enqueueOnceHealed(viaProxy, 2);
      assert.equal((await direct.getOrThrow(later.id)).input, 2);
      assert.ok(proxy.accepted > acceptedBefore, 'a new connection was opened');
    } finally {
      await close();
    }
  });

  test('a running worker recovers from a partition and finishes jobs submitted after it', { timeout: 20_000 }, async () => {
    await open();
    try {
      const worker = viaProxy.worker({
        handlers: { echo: ({ job }) => job.input },
        pollIntervalMs: 100,
        leaseMs: 3_000,
      });
      await worker.start();
      const before = await direct.enqueue({ queue: 'default', type: 'echo', input: 'before' });
      assert.equal((await direct.waitFor(before.id, { timeoutMs: 20_000 })).status, 'succeeded');
      // A partition of a few seconds: the claim loop's calls are held, time out, and back off; the
      // connection is given up and new ones are held too. Two failed claims span two timeouts.
      let claimFailures = 0;
      const twoClaimsFailed = new Promise<void>((resolve) => {
        worker.on('error', ({ during }) => {
          if (during === 'claim' && ++claimFailures === 2) resolve();
        });
      });
      proxy.setMode('hold');
      await twoClaimsFailed;
      proxy.resetAll();
      proxy.setMode('pass');
      const afterFault = await direct.enqueue({ queue: 'default', type: 'echo', input: 'after' });
      const done = await direct.waitFor(afterFault.id, { timeoutMs: 30_000 });
      assert.equal(done.status, 'succeeded');
      assert.equal(done.output, 'after');
    } finally {
      await close();
    }
  });
});
