import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { type JetStreamManager, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { deadStreamName, deadSubject, WORK_CONSUMER, workStreamName, workSubject } from '../../src/backends/nats/names.js';
import { type NatsBackend, type NatsBackendOptions, openNatsBackend } from '../../src/backends/nats/nats-backend.js';
import { ACK_WAIT_MS } from '../../src/backends/nats/topology.js';
import { openBackend } from '../../src/backends/open-backend.js';
import { openSqliteBackend } from '../../src/backends/sqlite/sqlite-backend.js';
import type { Backend } from '../../src/core/backend.js';
import { ErrorCodes } from '../../src/core/errors.js';
import type { ClaimedJob } from '../../src/core/job.js';
import { toNewJob } from '../../src/core/new-job.js';
import { Sluice } from '../../src/sluice.js';
import { type BackendFactory, runConformance } from '../conformance/index.js';
import type { FakeClock } from '../helpers/fake-clock.js';
import { serviceSkipReason } from '../helpers/require-service.js';
import { pgStoreSkip, redisStoreSkip, type StoreKind, storeRig } from '../helpers/store-rig.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const url = process.env.SLUICE_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const natsPort = Number(new URL(url.replace(/^nats:/, 'http:')).port || 4222);

/** Up, and with JetStream enabled (jetstreamManager checks the account). */
const skip = await serviceSkipReason('NATS JetStream', url, () => withJsm(async () => undefined));
const redisSkip = await redisStoreSkip();
const pgSkip = await pgStoreSkip();

async function withJsm<T>(fn: (jsm: JetStreamManager) => Promise<T>): Promise<T> {
  const nc = await connect({ servers: url, timeout: 3000, reconnect: false });
  try {
    return await fn(await jetstreamManager(nc));
  } finally {
    await nc.close();
  }
}

/** Deletes the streams a test created (its own prefix), leaving the server as it was. */
async function dropStreams(names: Iterable<string>): Promise<void> {
  const list = [...names];
  if (list.length === 0) return;
  await withJsm(async (jsm) => {
    for (const name of list) await jsm.streams.delete(name).catch(() => false);
  });
}

const quiet = () => undefined;

/** A transport over a store of its own (SQLite unless said), on a stream prefix of its own; `cleanup` removes all. */
async function rig(
  options: { clock?: FakeClock; extra?: Partial<NatsBackendOptions>; store?: StoreKind; natsUrl?: string } = {},
) {
  const storage = storeRig(options.store ?? 'sqlite');
  const prefix = `sluicetest-${randomUUID()}`;
  const opened: NatsBackend[] = [];
  const open = async (extra: Partial<NatsBackendOptions> = {}): Promise<NatsBackend> => {
    const store = await storage.open(options.clock);
    const backend = await openNatsBackend({
      url: options.natsUrl ?? url,
      store,
      prefix,
      warn: quiet,
      ...(options.clock ? { clock: options.clock } : {}),
      ...options.extra,
      ...extra,
    });
    opened.push(backend);
    return backend;
  };
  const backend = await open();
  return {
    backend,
    open,
    prefix,
    storage,
    cleanup: async () => {
      const streams = new Set(opened.flatMap((b) => b.declaredStreams()));
      for (const b of opened) await b.close();
      await dropStreams(streams);
      await storage.cleanup();
    },
  };
}

/** Whether the transport's store declares `flag` (the roles a transport forwards from its store). */
function storeDeclares(backend: Backend, flag: 'eventLog' | 'records'): boolean {
  return (backend as unknown as { store: Backend }).store.capabilities[flag] === true;
}

/** The conformance factory of the transport over one kind of store. */
function conformanceFactory(store: StoreKind): BackendFactory {
  return async ({ clock }) => {
    // As for RabbitMQ: the server's redelivery timers cannot see a fake clock move, so the relay
    // runs at every claim that comes up short and due jobs reach the stream when the store says so.
    const r = await rig({ clock, store, extra: { relayIntervalMs: 0, relayMinAgeMs: 0, minPrefetch: 100, claimSettleMs: 15 } });
    // One priority class: JetStream delivers in publish order (docs/nats.md, Priorities).
    return { backend: r.backend, openAnother: () => r.open(), cleanup: r.cleanup, priorityBucket: () => 0 };
  };
}

runConformance('nats+sqlite', conformanceFactory('sqlite'), { skip });
runConformance('nats+redis', conformanceFactory('redis'), { skip: skip ?? redisSkip });
runConformance('nats+postgres', conformanceFactory('postgres'), { skip: skip ?? pgSkip });

describe('nats adapter', { skip }, () => {
  test('capabilities: the store decides its own flags, the transport delivers in weaker order', async () => {
    const r = await rig();
    try {
      assert.equal(r.backend.name, 'nats');
      assert.deepEqual(r.backend.capabilities, {
        crossProcessEvents: false,
        multiMachine: false,
        claimById: false,
        strictOrder: false,
        rateBudgets: true,
        outputText: true,
        usage: true,
        tenantClaims: true,
        synchronousWrites: true,
        eventLog: true,
        records: true,
      });
    } finally {
      await r.cleanup();
    }
  });

  test('capabilities over a Redis store', { skip: redisSkip }, async () => {
    const r = await rig({ store: 'redis' });
    try {
      assert.deepEqual(r.backend.capabilities, {
        crossProcessEvents: true,
        multiMachine: true,
        claimById: false,
        strictOrder: false,
        rateBudgets: true,
        outputText: true,
        usage: true,
        tenantClaims: true,
        synchronousWrites: false,
        // The event log is the store's: declared exactly when the Redis store declares it.
        eventLog: storeDeclares(r.backend, 'eventLog'),
        records: storeDeclares(r.backend, 'records'),
      });
    } finally {
      await r.cleanup();
    }
  });

  test('open-backend opens nats:// with SLUICE_STORE and refuses it without one', async () => {
    const tmp = makeTempDir('sluice-nats-open-');
    const prefix = `sluicetest-${randomUUID()}`;
    await assert.rejects(openBackend(url), (e: unknown) => (e as { code?: string }).code === ErrorCodes.config);
    await assert.rejects(
      openBackend(url, { store: url }),
      (e: unknown) => (e as { code?: string; field?: string }).field === 'SLUICE_STORE',
    );
    const backend = (await openBackend(`${url}?prefix=${prefix}`, { store: `sqlite:${join(tmp.dir, 's.db')}` })) as NatsBackend;
    try {
      assert.equal(backend.name, 'nats');
      await backend.ping();
      const [result] = await backend.enqueue({ jobs: [toNewJob({ type: 'noop' })] });
      const claimed = await claimDelivered(backend);
      assert.equal(claimed.id, result?.job.id);
      assert.deepEqual(backend.declaredStreams(), [workStreamName(prefix, 'default')]);
    } finally {
      const streams = backend.declaredStreams();
      await backend.close();
      await dropStreams(streams);
      tmp.cleanup();
    }
  });

  test('a NATS server that is not there fails the open with backend_unavailable', async () => {
    const tmp = makeTempDir('sluice-nats-down-');
    const store = await openSqliteBackend({ path: join(tmp.dir, 's.db') });
    // A port nothing listens on: a proxy that was started and closed again.
    const proxy = await TcpProxy.start({ port: natsPort });
    const port = proxy.port;
    await proxy.close();
    try {
      await assert.rejects(
        openNatsBackend({ url: `nats://127.0.0.1:${port}`, store, warn: quiet }),
        (e: unknown) => (e as { code?: string }).code === ErrorCodes.backendUnavailable,
      );
    } finally {
      await store.close();
      tmp.cleanup();
    }
  });

  test('the outbox relay publishes a job that was written to the store but never published', async () => {
    const r = await rig({ extra: { relayIntervalMs: 0, relayMinAgeMs: 0 } });
    try {
      // Written to the store behind the transport's back: the crash between store write and publish.
      const store = await r.storage.open();
      const [lost] = await store.enqueue({ jobs: [toNewJob({ type: 'noop' })] });
      await store.close();
      const claimed = await claimDelivered(r.backend);
      assert.equal(claimed.id, lost?.job.id);
    } finally {
      await r.cleanup();
    }
  });

  test('a message the stream lost after its PubAck is republished by the relay', async () => {
    const r = await rig({ extra: { relayIntervalMs: 0, relayMinAgeMs: 0 } });
    try {
      const stream = workStreamName(r.prefix, 'default');
      const [{ job } = assert.fail()] = await r.backend.enqueue({ jobs: [toNewJob({ type: 'noop' })] });
      // Wait for the publish to land, then lose it: the stream is purged under the transport.
      await waitUntil(async () => (await withJsm((jsm) => jsm.streams.info(stream))).state.messages === 1);
      await withJsm((jsm) => jsm.streams.purge(stream));
      const claimed = await claimDelivered(r.backend);
      assert.equal(claimed.id, job.id);
    } finally {
      await r.cleanup();
    }
  });

  test('during a backlog the relay republishes only what the unacked deliveries cannot account for', async () => {
    const r = await rig({ extra: { relayIntervalMs: 60_000, relayMinAgeMs: 0, minPrefetch: 10, releaseIdleMs: 600_000 } });
    try {
      const { backend, prefix } = r;
      const relayed: string[] = [];
      const internals = backend as unknown as {
        publishJobs(jobs: Array<{ id: string }>): Promise<void>;
        relay(queues: string[], minAgeMs: number): Promise<void>;
      };
      const publish = internals.publishJobs.bind(backend);
      await backend.enqueue({ jobs: Array.from({ length: 30 }, () => toNewJob({ type: 'noop' })) });
      const claimed = await claimDelivered(backend);
      const stream = workStreamName(prefix, 'default');
      await waitUntil(async () => {
        const info = await withJsm((jsm) => jsm.consumers.info(stream, WORK_CONSUMER));
        return info.num_ack_pending === 10 && info.num_pending === 19;
      });
      internals.publishJobs = (jobs) => {
        relayed.push(...jobs.map((job) => job.id));
        return publish(jobs);
      };
      // 29 waiting in the store, 19 pending in the stream, 10 held unacked: nothing is lost.
      await internals.relay(['default'], 0);
      assert.equal(relayed.length, 0, `relayed ${relayed.length} jobs the stream still holds`);

      // Written to the store behind the transport's back (a crash before the publish): 12 lost.
      const store = await r.storage.open();
      const lost = await store.enqueue({ jobs: Array.from({ length: 12 }, () => toNewJob({ type: 'noop' })) });
      await store.close();
      await internals.relay(['default'], 0);
      assert.deepEqual(relayed.sort(), lost.map((l) => l.job.id).sort());
      assert.ok(!relayed.includes(claimed.id));
    } finally {
      await r.cleanup();
    }
  });

  test('a work stream deleted under a running handle is declared again, and its jobs still run', async () => {
    const r = await rig({ extra: { relayIntervalMs: 0, relayMinAgeMs: 0 } });
    try {
      const { backend, prefix } = r;
      const [{ job: a } = assert.fail()] = await backend.enqueue({ jobs: [toNewJob({ type: 'noop' })] });
      assert.equal((await claimDelivered(backend)).id, a.id);
      // An operator deletes the stream (and its consumer) while the handle is pulling from it.
      await withJsm((jsm) => jsm.streams.delete(workStreamName(prefix, 'default')));
      const [{ job: b } = assert.fail()] = await backend.enqueue({ jobs: [toNewJob({ type: 'noop' })] });
      assert.equal((await claimDelivered(backend)).id, b.id);
    } finally {
      await r.cleanup();
    }
  });

  test('a redelivered message for a job that already ended is acked and dropped, not run again', async () => {
    const r = await rig({ extra: { relayIntervalMs: 60_000 } });
    try {
      const { backend, prefix } = r;
      const [{ job } = assert.fail()] = await backend.enqueue({ jobs: [toNewJob({ type: 'noop' })] });
      const claimed = await claimDelivered(backend);
      assert.equal(claimed.id, job.id);
      await backend.complete({ items: [{ id: job.id, leaseToken: claimed.leaseToken, output: 1 }] });
      // The same message again (a redelivery after a lost ack, a relay duplicate).
      await withJsm(async (jsm) => {
        await jsm
          .jetstream()
          .publish(
            workSubject(prefix, 'default'),
            JSON.stringify({ id: job.id, queue: 'default', type: 'noop', priority: 0, runAt: 0 }),
          );
      });
      const stream = workStreamName(prefix, 'default');
      await waitUntil(async () => (await withJsm((jsm) => jsm.consumers.info(stream, WORK_CONSUMER))).num_pending === 0);
      assert.deepEqual(await backend.claim({ queues: ['default'], limit: 1, leaseMs: 10_000, workerId: 'w' }), []);
      assert.equal((await backend.get({ id: job.id }))?.attempts, 1);
      await waitUntil(async () => (await withJsm((jsm) => jsm.streams.info(stream))).state.messages === 0);
    } finally {
      await r.cleanup();
    }
  });

  test('a stale duplicate ahead in the window does not make a claim come up short', async () => {
    const r = await rig({ extra: { relayIntervalMs: 600_000, minPrefetch: 10, releaseIdleMs: 600_000 } });
    try {
      const { backend, prefix } = r;
      // A claim that comes up short runs the relay, which is then not due again for ten minutes:
      // from here on only the claim's own loop can look past the duplicate.
      assert.deepEqual(await backend.claim({ queues: ['default'], limit: 1, leaseMs: 10_000, workerId: 'w' }), []);
      const [{ job: a } = assert.fail()] = await backend.enqueue({ jobs: [toNewJob({ type: 'noop', priority: 5 })] });
      const first = await claimDelivered(backend);
      assert.equal(first.id, a.id);
      await backend.complete({ items: [{ id: a.id, leaseToken: first.leaseToken, output: 1 }] });
      const [{ job: b } = assert.fail()] = await backend.enqueue({ jobs: [toNewJob({ type: 'noop', priority: 0 })] });
      // A duplicate of the ended, higher-priority job: it sorts first in the window.
      await withJsm((jsm) =>
        jsm
          .jetstream()
          .publish(
            workSubject(prefix, 'default'),
            JSON.stringify({ id: a.id, queue: 'default', type: 'noop', priority: 5, runAt: 0 }),
          ),
      );
      const stream = workStreamName(prefix, 'default');
      await waitUntil(async () => {
        const info = await withJsm((jsm) => jsm.consumers.info(stream, WORK_CONSUMER));
        return info.num_pending === 0 && info.num_ack_pending === 2;
      });
      const claimed = await backend.claim({ queues: ['default'], limit: 1, leaseMs: 10_000, workerId: 'w' });
      assert.deepEqual(
        claimed.map((job) => job.id),
        [b.id],
      );
    } finally {
      await r.cleanup();
    }
  });

  test('a retry with a delay waits in the server (a nak with the delay) and comes back when due', {
    timeout: 20_000,
  }, async () => {
    // The relay is kept out of it: only the server's redelivery can bring the job back.
    const r = await rig({ extra: { relayIntervalMs: 600_000, claimMaxWaitMs: 3_000, claimSettleMs: 3_000 } });
    try {
      const { backend } = r;
      await backend.enqueue({ jobs: [toNewJob({ type: 'noop' })] });
      const first = await claimDelivered(backend);
      const failedAt = Date.now();
      await backend.fail({
        items: [
          { id: first.id, leaseToken: first.leaseToken, outcome: 'retry', delayMs: 1_000, error: { code: 'E', message: 'e' } },
        ],
      });
      assert.equal((await backend.get({ id: first.id }))?.status, 'scheduled');
      const second = await claimDelivered(backend);
      assert.equal(second.id, first.id);
      assert.equal(second.attempts, 2);
      assert.ok(Date.now() - failedAt >= 1_000, 'the delay was not cut short');
    } finally {
      await r.cleanup();
    }
  });

  test('a job that ends failed is copied to PREFIX__dead with its headers; redrive runs it again', async () => {
    const r = await rig({ extra: { relayIntervalMs: 60_000 } });
    try {
      const { backend, prefix } = r;
      const error = { code: 'E_BOOM', message: 'boom' };
      const [{ job } = assert.fail()] = await backend.enqueue({ jobs: [toNewJob({ type: 'noop', input: 'a' })] });
      const leased = await claimDelivered(backend);
      await backend.fail({ items: [{ id: job.id, leaseToken: leased.leaseToken, outcome: 'fail', error }] });
      const copy = await withJsm((jsm) =>
        jsm.streams.getMessage(deadStreamName(prefix), { last_by_subj: deadSubject(prefix, 'default') }),
      );
      assert.ok(copy, 'a copy is in the dead stream');
      const body = copy.json<{ id: string; status: string; input: unknown; error: unknown }>();
      assert.deepEqual([body.id, body.status, body.input, body.error], [job.id, 'failed', 'a', error]);
      assert.equal(copy.header.get('Sluice-Job-Id'), job.id);
      assert.equal(copy.header.get('Sluice-Queue'), 'default');
      assert.equal(copy.header.get('Sluice-Type'), 'noop');
      assert.equal(copy.header.get('Sluice-Error-Code'), 'E_BOOM');
      assert.deepEqual(backend.declaredStreams().sort(), [deadStreamName(prefix), workStreamName(prefix, 'default')].sort());

      assert.equal(await backend.redrive({ ids: [job.id] }), 1);
      assert.equal((await claimDelivered(backend)).id, job.id);
    } finally {
      await r.cleanup();
    }
  });

  test('a connection drop and reconnect loses no job: held deliveries come back, enqueues during the outage run', {
    timeout: 60_000,
  }, async () => {
    const proxy = await TcpProxy.start({ port: natsPort });
    let connectionLost!: () => void;
    const lost = new Promise<void>((resolve) => {
      connectionLost = resolve;
    });
    const r = await rig({
      natsUrl: `nats://127.0.0.1:${proxy.port}`,
      extra: {
        relayIntervalMs: 1_000,
        relayMinAgeMs: 1_000,
        warn: (message) => {
          if (message.includes('connection lost')) connectionLost();
        },
      },
    });
    try {
      const { backend } = r;
      const total = 200;
      const results = await backend.enqueue({
        jobs: Array.from({ length: total }, (_, i) => toNewJob({ type: 'noop', input: i })),
      });
      const accepted = new Set(results.map((x) => x.job.id));
      const done = new Set<string>();
      const runBatch = async () => {
        const jobs = await backend.claim({ queues: ['default'], limit: 20, leaseMs: 60_000, workerId: 'w' });
        const outcomes = await backend.complete({
          items: jobs.map((j) => ({ id: j.id, leaseToken: j.leaseToken, output: j.input })),
        });
        for (const o of outcomes) if (o.result === 'ok') done.add(o.id);
        return jobs.length;
      };
      while (done.size === 0) await runBatch();

      // Every connection reset, and none let back in for a while: enqueues meanwhile still answer.
      proxy.refuse(true);
      proxy.resetAll();
      await lost;
      const during = await backend.enqueue({ jobs: [toNewJob({ type: 'noop', input: 'during' })] });
      accepted.add(during[0]!.job.id);
      proxy.refuse(false);
      await backend.whenConnected();
      const late = await backend.enqueue({ jobs: [toNewJob({ type: 'noop', input: 'late' })] });
      accepted.add(late[0]!.job.id);

      const deadline = Date.now() + 40_000;
      while (done.size < accepted.size && Date.now() < deadline) {
        try {
          await runBatch();
        } catch {
          await backend.whenConnected();
        }
      }
      assert.equal(done.size, accepted.size, 'every accepted job ran');
      for (const id of accepted) assert.equal((await backend.get({ id }))?.status, 'succeeded');
    } finally {
      await r.cleanup();
      await proxy.close();
    }
  });

  test('a handle holds at most its prefetch of unacked deliveries per queue: the rest stay in the stream', async () => {
    const r = await rig({ extra: { relayIntervalMs: 600_000, minPrefetch: 5, releaseIdleMs: 600_000 } });
    try {
      const { backend, prefix } = r;
      await backend.enqueue({ jobs: Array.from({ length: 30 }, () => toNewJob({ type: 'noop' })) });
      await claimDelivered(backend);
      // One leased and acked; the window refills to 5 held, the other 24 wait for any handle.
      const stream = workStreamName(prefix, 'default');
      await waitUntil(async () => {
        const info = await withJsm((jsm) => jsm.consumers.info(stream, WORK_CONSUMER));
        return info.num_ack_pending === 5 && info.num_pending === 24;
      });
      const other = await r.open();
      const claimed = await other.claim({ queues: ['default'], limit: 10, leaseMs: 10_000, workerId: 'w2' });
      assert.ok(claimed.length > 0, 'a second handle gets what the first does not hold');
    } finally {
      await r.cleanup();
    }
  });

  test("a full worker's queue is no longer pulled: an idle worker elsewhere runs the next job", {
    timeout: 20_000,
  }, async () => {
    // As for RabbitMQ (docs/rabbitmq.md, "A busy worker lets go"): without the release, the second
    // job would wait in A's window until A's job ends or its ack deadline passes.
    const r = await rig({ extra: { releaseIdleMs: 200, relayIntervalMs: 600_000 } });
    let endFirst!: () => void;
    const firstMayEnd = new Promise<void>((resolve) => {
      endFirst = resolve;
    });
    const events: string[] = [];
    let firstRanOnA!: () => void;
    const onA = new Promise<void>((resolve) => {
      firstRanOnA = resolve;
    });
    let secondRanOnB!: () => void;
    const onB = new Promise<void>((resolve) => {
      secondRanOnB = resolve;
    });
    const a = Sluice.fromBackend(r.backend).worker({
      queues: ['default'],
      concurrency: 1,
      handlers: {
        slow: async ({ job }) => {
          events.push(`A started ${(job.input as { n: string }).n}`);
          firstRanOnA();
          await firstMayEnd;
          return null;
        },
      },
    });
    const bBackend = await r.open();
    const b = Sluice.fromBackend(bBackend).worker({
      queues: ['default'],
      concurrency: 1,
      handlers: {
        slow: ({ job }) => {
          events.push(`B started ${(job.input as { n: string }).n}`);
          secondRanOnB();
          return null;
        },
      },
    });
    try {
      await a.start();
      await r.backend.enqueue({ jobs: [toNewJob({ type: 'slow', input: { n: 'first' } })] });
      await onA;
      await r.backend.enqueue({ jobs: [toNewJob({ type: 'slow', input: { n: 'second' } })] });
      const secondAt = Date.now();
      await b.start();
      await onB;
      assert.deepEqual(events, ['A started first', 'B started second'], 'the second job ran while the first was still running');
      // The ack deadline would bring it to B too, but only after ACK_WAIT_MS: the release came first.
      assert.ok(Date.now() - secondAt < ACK_WAIT_MS, `B started it ${Date.now() - secondAt} ms later`);
    } finally {
      endFirst();
      await a.stop();
      await b.stop();
      await r.cleanup();
    }
  });

  test('refuses a store that cannot claim by id', async () => {
    const tmp = makeTempDir('sluice-nats-store-');
    const store = await openSqliteBackend({ path: join(tmp.dir, 's.db') });
    const limited: Backend = Object.assign(Object.create(store) as Backend, {
      capabilities: { ...store.capabilities, claimById: false },
    });
    try {
      await assert.rejects(
        openNatsBackend({ url, store: limited, warn: quiet }),
        (e: unknown) => (e as { code?: string }).code === ErrorCodes.config,
      );
    } finally {
      await store.close();
      tmp.cleanup();
    }
  });
});

/**
 * Claims one job of `default`. A claim waits only briefly for a delivery; on a busy machine the
 * message may arrive later, announced by a (remote) jobs:enqueued event: this waits for it and
 * claims again.
 */
async function claimDelivered(backend: Backend, leaseMs = 10_000): Promise<ClaimedJob> {
  for (let tries = 0; tries < 20; tries++) {
    const woken = new Promise<void>((resolve) => {
      const off = backend.events.on('jobs:enqueued', () => {
        off();
        resolve();
      });
      setTimeout(() => {
        off();
        resolve();
      }, 500).unref();
    });
    const [job] = await backend.claim({ queues: ['default'], limit: 1, leaseMs, workerId: 'w' });
    if (job) return job;
    await woken;
  }
  return assert.fail('no job was delivered after 20 claims');
}

/** Polls an external condition (the server's counters have no event) until it holds, 5 s at most. */
async function waitUntil(condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail('condition not met within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
