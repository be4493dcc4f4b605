import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { ErrorCodes, hasErrorCode } from '../../src/core/errors.js';
import type { Job } from '../../src/core/job.js';
import { Sluice } from '../../src/sluice.js';
import { ProxyGroup } from '../helpers/proxy-group.js';
import { dropClusterPrefix, type OwnCluster, startClusterWithRetries } from '../helpers/redis-cluster.js';
import { serviceSkipReason } from '../helpers/require-service.js';
import { until } from '../helpers/until.js';

/**
 * The Redis backend on a Redis Cluster whose every node sits behind a proxy (the nodes announce the
 * proxies' ports, so redirections go through them too): a drop, stall or silent drop of the
 * connections to all nodes at once. Every call settles (invariant 7), calls succeed once the
 * network heals, and no acknowledged job is lost. The single-node counterpart is redis-faults.test.ts.
 */

let cluster: OwnCluster | undefined;
const skip = await serviceSkipReason(
  'Redis Cluster',
  'a cluster of its own on 127.0.0.1 behind proxies (needs redis-server and redis-cli on PATH)',
  async () => {
    cluster = await startClusterWithRetries(3, { proxied: true });
  },
);
after(async () => {
  await cluster?.stop();
});

/** Short enough for a test, long enough that no healthy call on a loaded machine reaches it. */
const COMMAND_TIMEOUT_MS = 1_000;
/** Queues whose keys the cluster spreads over its nodes (a fault must touch each). */
const QUEUES = ['a', 'b', 'c', 'd', 'e', 'f'];

/** Resolves with the call's outcome: its value, or the Sluice code it failed with. */
async function outcome<T>(call: Promise<T>): Promise<{ ok: T } | { code: string | undefined }> {
  try {
    return { ok: await call };
  } catch (error) {
    return { code: hasErrorCode(error, ErrorCodes.backendUnavailable) ? ErrorCodes.backendUnavailable : String(error) };
  }
}

describe('redis cluster: dropped or stalled connections to every node (invariant 7)', { skip }, () => {
  let links: ProxyGroup;
  let prefix: string;
  let sluice: Sluice;

  const open = async () => {
    const c = cluster!;
    links = new ProxyGroup(c.proxies);
    prefix = `sluicetest-${randomUUID()}`;
    sluice = await Sluice.connect(`${c.url}&prefix=${prefix}&commandTimeoutMs=${COMMAND_TIMEOUT_MS}`);
    // Connected and warm on every node: each queue is enqueued to once.
    for (const queue of QUEUES) await sluice.enqueue({ queue, type: 'echo', input: 'warm' });
  };
  const close = async () => {
    links.setMode('pass');
    links.refuse(false);
    await sluice.close({ graceMs: 0 });
    await dropClusterPrefix(cluster!, prefix);
  };

  /** Enqueues until one to each queue succeeds: right after a fault the nodes may still reconnect. */
  const enqueueOnceHealed = (input: unknown) =>
    until(
      async () => {
        const jobs: Job[] = [];
        for (const queue of QUEUES) {
          const attempt = await outcome(sluice.enqueue({ queue, type: 'echo', input }));
          if (!('ok' in attempt)) return undefined;
          jobs.push(attempt.ok);
        }
        return jobs;
      },
      'an enqueue to every queue that succeeds after the fault',
      20 * COMMAND_TIMEOUT_MS,
    );

  test('a drop (RST) of every connection during a burst: every call settles, none acknowledged is lost', {
    timeout: 60_000,
  }, async () => {
    await open();
    try {
      const acceptedBefore = links.accepted;
      // The commands reach the proxies, then every connection is reset before any reply, twice,
      // and new connections are refused for a moment: the nodes reconnect meanwhile.
      links.setMode('hold');
      const burst = Array.from({ length: 30 }, (_, i) =>
        outcome(sluice.enqueue({ queue: QUEUES[i % QUEUES.length]!, type: 'echo', input: i })),
      );
      await new Promise((resolve) => setImmediate(resolve));
      links.resetAll();
      links.setMode('pass');
      links.refuse(true);
      links.resetAll();
      const settled = await Promise.all(burst);
      links.refuse(false);
      for (const result of settled) {
        assert.ok('ok' in result || result.code === ErrorCodes.backendUnavailable, `settled with ${JSON.stringify(result)}`);
      }
      const later = await enqueueOnceHealed('after');
      assert.ok(links.accepted > acceptedBefore, 'the nodes were reconnected through the proxies');
      const acknowledged = settled.flatMap((r) => ('ok' in r ? [r.ok] : [])).concat(later);
      for (const job of acknowledged) {
        assert.equal((await sluice.getOrThrow(job.id)).input, job.input, `job ${job.id} was acknowledged, so it is stored`);
      }
    } finally {
      await close();
    }
  });

  test('while the network holds bytes, calls fail with SLUICE_BACKEND_UNAVAILABLE; after it heals they succeed', {
    timeout: 60_000,
  }, async () => {
    await open();
    try {
      links.setMode('hold');
      const held = await Promise.all(QUEUES.map((queue) => outcome(sluice.enqueue({ queue, type: 'echo', input: 1 }))));
      for (const result of held) assert.deepEqual(result, { code: ErrorCodes.backendUnavailable });
      assert.deepEqual(await outcome(sluice.stats()), { code: ErrorCodes.backendUnavailable });
      links.resetAll();
      links.setMode('pass');
      for (const job of await enqueueOnceHealed(2)) assert.equal((await sluice.getOrThrow(job.id)).status, 'queued');
    } finally {
      await close();
    }
  });

  test('a silently dropping network: calls fail, and once it passes again the connections are replaced', {
    timeout: 60_000,
  }, async () => {
    await open();
    try {
      const acceptedBefore = links.accepted;
      links.setMode('drop');
      const dropped = await Promise.all(QUEUES.map((queue) => outcome(sluice.enqueue({ queue, type: 'echo', input: 1 }))));
      for (const result of dropped) assert.deepEqual(result, { code: ErrorCodes.backendUnavailable });
      links.setMode('pass');
      // The dropped connections stay dead (TCP never delivers a stream with a gap): each node's
      // connection must be noticed and replaced.
      for (const job of await enqueueOnceHealed(2)) assert.equal((await sluice.getOrThrow(job.id)).input, 2);
      assert.ok(links.accepted > acceptedBefore, 'new connections were opened');
    } finally {
      await close();
    }
  });

  test('a running worker recovers from a partition and finishes jobs submitted after it', { timeout: 60_000 }, async () => {
    await open();
    const worker = sluice.worker({
      queues: QUEUES,
      handlers: { echo: ({ job }) => job.input },
      pollIntervalMs: 100,
      leaseMs: 3_000,
    });
    try {
      await worker.start();
      let claimFailures = 0;
      const twoClaimsFailed = new Promise<void>((resolve) => {
        worker.on('error', ({ during }) => {
          if (during === 'claim' && ++claimFailures === 2) resolve();
        });
      });
      links.setMode('hold');
      await twoClaimsFailed;
      links.resetAll();
      links.setMode('pass');
      for (const job of await enqueueOnceHealed('after')) {
        const done = await sluice.waitFor(job.id, { timeoutMs: 30_000 });
        assert.equal(done.status, 'succeeded');
        assert.equal(done.output, 'after');
      }
    } finally {
      await worker.stop({ graceMs: 0 });
      await close();
    }
  });
});
