import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import type { Backend } from '../../../src/core/backend.js';
import type { JobJson } from '../../../src/core/job-json.js';
import { DELIVERY_QUEUE } from '../../../src/webhooks/settings.js';
import type { DeliveryView } from '../../../src/webhooks/webhooks.js';
import { until } from '../../helpers/until.js';
import { WebhookReceiver } from '../../helpers/webhook-receiver.js';
import { startWebhookRig, TEST_SECRET, type WebhookRig, type WebhookRigOptions } from './webhook-rig.js';

/**
 * The webhook delivery cases every backend must pass, end to end through the API, a worker, the
 * dispatcher and a receiver on 127.0.0.1. Each case has a store of its own; `open` gives another
 * handle on it, as a second process (or the same one restarted) would have.
 */
export interface CaseStore {
  /** A new handle on the store (a StoreRig's open, or a shared in-memory backend). */
  open(): Promise<Backend>;
  /** Removes the store, once every handle is closed. */
  cleanup(): Promise<void>;
}

const verifier = new Webhook(TEST_SECRET);

/** Registers the cases under `name` (skipped with `skip`, as the store helpers decide). */
export function runDeliveryCases(name: string, makeStore: () => CaseStore, options: { skip?: string | undefined } = {}): void {
  describe(name, { skip: options.skip ?? false }, () => {
    test('a job webhook gets the terminal event, signed; the deliveries list its attempt with status and latency', () =>
      withStore(makeStore, (store) => terminalEvents(store)));
    test('a receiver that is down, then answers 500s, then 200 gets every event, each answered 200 once, retries with one webhook-id', () =>
      withStore(makeStore, (store) => downThen500Then200(store)));
    test('events not yet dispatched when the process stops are delivered once by the next one', () =>
      withStore(makeStore, (store) => undispatchedAcrossRestart(store)));
    test('deliveries being retried when the process stops are delivered once by the next one, with the same id', () =>
      withStore(makeStore, (store) => retryingAcrossRestart(store)));
    test("an endpoint with queues gets only those queues' events of its tenant", () =>
      withStore(makeStore, (store) => endpointQueues(store)));
    test('two Sluice processes on one store deliver each event once', () => withStore(makeStore, (store) => twoProcesses(store)));
  });
}

async function withStore(makeStore: () => CaseStore, run: (store: RigStore) => Promise<void>): Promise<void> {
  const store = makeStore();
  const rigs: WebhookRig[] = [];
  const ran = await run({
    async rig(options = {}) {
      const rig = await startWebhookRig({ ...options, backend: await store.open(), ownsBackend: true });
      rigs.push(rig);
      return rig;
    },
  }).then(
    () => ({ status: 'fulfilled' as const }),
    (reason: unknown) => ({ status: 'rejected' as const, reason }),
  );
  // Every rig is closed even when the case or one close fails: a rig left running keeps the test
  // process alive. The case's own failure is the one reported.
  const closed = await Promise.allSettled(rigs.map((rig) => rig.close()));
  await store.cleanup();
  const failure = [ran, ...closed].find((result) => result.status === 'rejected');
  if (failure !== undefined) throw failure.reason;
}

/** What a case gets: rigs on one store, each on a handle of its own (closed after the case). */
interface RigStore {
  rig(options?: Omit<WebhookRigOptions, 'backend' | 'ownsBackend'>): Promise<WebhookRig>;
}

async function submit(rig: WebhookRig, body: unknown, tenant?: string): Promise<JobJson> {
  const response = await rig.call('POST', '/v1/jobs', body, tenant);
  assert.equal(response.statusCode, 202, response.body);
  return response.json() as JobJson;
}

async function deliveries(rig: WebhookRig, jobId: string): Promise<DeliveryView[]> {
  const response = await rig.call('GET', `/v1/jobs/${jobId}/deliveries`);
  assert.equal(response.statusCode, 200, response.body);
  return (response.json() as { deliveries: DeliveryView[] }).deliveries;
}

/** The job's deliveries once every one is `delivered`. */
function delivered(rig: WebhookRig, jobId: string, count: number): Promise<DeliveryView[]> {
  return until(async () => {
    const list = await deliveries(rig, jobId);
    return list.length === count && list.every((d) => d.status === 'delivered') && list;
  }, `${count} deliveries of ${jobId} marked delivered`);
}

/**
 * Resolves once `count` delivery jobs exist and every one has ended: from then on no POST can
 * follow (a delivery is carried by one job, and a job that ended is not run again), so what the
 * receiver got is all it will get.
 */
async function deliveryJobsEnded(rig: WebhookRig, count: number): Promise<void> {
  const jobs = await until(async () => {
    const { jobs } = await rig.sluice.list({ queue: DELIVERY_QUEUE, limit: 1000 });
    return jobs.length === count && jobs.every((job) => job.status === 'succeeded') && jobs;
  }, `${count} delivery jobs succeeded`);
  assert.equal(jobs.length, count);
}

type Body = { type: string; timestamp: string; data: JobJson & { event: { seq: number; type: string } } };

function verified(request: { body: string; headers: object }): Body {
  return verifier.verify(request.body, request.headers as Record<string, string>) as Body;
}

async function terminalEvents(store: RigStore): Promise<void> {
  const rig = await store.rig();
  const receiver = await WebhookReceiver.start();
  try {
    const ok = await submit(rig, { type: 'echo', input: { n: 1 }, webhook: { url: receiver.url } });
    const failed = await submit(rig, { type: 'boom', input: {}, maxAttempts: 1, webhook: { url: receiver.url } });
    for (const [job, type] of [
      [ok, 'job.succeeded'],
      [failed, 'job.failed'],
    ] as const) {
      const [delivery, ...others] = await delivered(rig, job.id, 1);
      assert.deepEqual(others, [], 'by default only the terminal event');
      assert.equal(delivery!.event.type, type);
      assert.equal(delivery!.url, receiver.url);
      const [request, ...again] = receiver.of(delivery!.id);
      assert.deepEqual(again, [], 'one request');
      assert.equal(request!.answered, 200);
      const body = verified(request!);
      assert.equal(body.type, type);
      assert.equal(body.data.id, job.id);
      assert.equal(body.data.event.seq, delivery!.event.seq);
      // A changed body does not verify: the signature covers the bytes sent.
      assert.throws(() =>
        verifier.verify(
          request!.body.replace(job.id, ok.id === job.id ? failed.id : ok.id),
          request!.headers as Record<string, string>,
        ),
      );
      const [attempt, ...more] = delivery!.attempts;
      assert.deepEqual(more, [], 'one attempt');
      assert.equal(attempt!.statusCode, 200);
      assert.equal(attempt!.error, undefined);
      assert.ok(Number.isInteger(attempt!.latencyMs) && attempt!.latencyMs >= 0, `latency ${attempt!.latencyMs}`);
      assert.ok(attempt!.at >= Date.parse(job.createdAt), 'the attempt is stamped after the job was made');
    }
    assert.equal(receiver.received.length, 2);
  } finally {
    await receiver.down();
  }
}

async function downThen500Then200(store: RigStore): Promise<void> {
  const rig = await store.rig();
  // Two 500s per delivery once it is up; then 200.
  const receiver = await WebhookReceiver.start(({ seenBefore }) => (seenBefore < 2 ? 500 : 200), { listening: false });
  try {
    const job = await submit(rig, {
      type: 'echo',
      input: { n: 1 },
      webhook: { url: receiver.url, events: ['job.started', 'job.succeeded'] },
    });
    // Both deliveries fail while the receiver is down (connection refused), and are retried.
    await until(async () => {
      const list = await deliveries(rig, job.id);
      return (
        list.length === 2 && list.every((d) => d.attempts.length >= 2 && d.attempts.every((a) => a.statusCode === undefined))
      );
    }, 'two refused attempts of each delivery');
    await receiver.up();
    await receiver.waitFor((received) => received.filter((r) => r.answered === 200).length === 2, 'both deliveries answered 200');
    const list = await delivered(rig, job.id, 2);
    await deliveryJobsEnded(rig, 2);
    assert.deepEqual(
      list.map((d) => d.event.type),
      ['job.started', 'job.succeeded'],
    );
    for (const delivery of list) {
      const requests = receiver.of(delivery.id);
      assert.deepEqual(
        requests.map((r) => r.answered),
        [500, 500, 200],
        `${delivery.event.type}: two 500s, then one 200`,
      );
      // The same id and the same body on every try, each signed so that standardwebhooks accepts it.
      assert.equal(new Set(requests.map((r) => r.body)).size, 1);
      for (const request of requests) verified(request);
      const statuses = delivery.attempts.map((a) => a.statusCode);
      assert.ok(statuses.length >= 5, `refused tries, then 500, 500, 200: ${JSON.stringify(delivery.attempts)}`);
      assert.deepEqual(statuses.slice(-3), [500, 500, 200]);
      assert.ok(delivery.attempts.slice(0, -3).every((a) => a.statusCode === undefined && typeof a.error === 'string'));
      assert.ok(delivery.attempts.every((a) => Number.isInteger(a.latencyMs) && a.latencyMs >= 0));
    }
    assert.equal(receiver.received.length, 6);
    // The body: the event's type and time, the job in data, the event in data.event.
    const succeeded = JSON.parse(receiver.of(list[1]!.id)[0]!.body) as Body & { data: { event: { data: { output: unknown } } } };
    assert.equal(succeeded.type, 'job.succeeded');
    assert.ok(!Number.isNaN(Date.parse(succeeded.timestamp)));
    assert.equal(succeeded.data.id, job.id);
    assert.equal(succeeded.data.status, 'succeeded');
    assert.deepEqual(succeeded.data.event.data.output, { n: 1 });
  } finally {
    await receiver.down();
  }
}

async function undispatchedAcrossRestart(store: RigStore): Promise<void> {
  const receiver = await WebhookReceiver.start();
  try {
    // A process that runs the job, then stops before its dispatcher read the job's end.
    const first = await store.rig({ delivering: false });
    const job = await submit(first, { type: 'echo', input: { n: 2 }, webhook: { url: receiver.url } });
    assert.equal((await first.sluice.waitFor(job.id, { timeoutMs: 20_000 })).status, 'succeeded');
    assert.deepEqual(await deliveries(first, job.id), [], 'nothing dispatched yet');
    await first.close();
    assert.equal(receiver.received.length, 0);
    // The next process finds the event in the log, from the cursor the first one kept.
    const second = await store.rig();
    const [delivery] = await delivered(second, job.id, 1);
    await deliveryJobsEnded(second, 1);
    assert.equal(delivery!.event.type, 'job.succeeded');
    const requests = receiver.of(delivery!.id);
    assert.equal(requests.length, 1, 'delivered once');
    assert.equal(receiver.received.length, 1);
    assert.equal(verified(requests[0]!).data.id, job.id);
  } finally {
    await receiver.down();
  }
}

async function retryingAcrossRestart(store: RigStore): Promise<void> {
  const receiver = await WebhookReceiver.start(() => 200, { listening: false });
  try {
    const first = await store.rig();
    const job = await submit(first, {
      type: 'echo',
      input: { n: 3 },
      webhook: { url: receiver.url, events: ['job.started', 'job.succeeded'] },
    });
    // The process stops while both deliveries wait for their next try.
    const pending = await until(async () => {
      const list = await deliveries(first, job.id);
      return list.length === 2 && list.every((d) => d.status === 'pending' && d.attempts.length >= 1) && list;
    }, 'a refused attempt of each delivery');
    await first.close();
    const refused = new Map((await deliveries(await store.rig({ delivering: false }), job.id)).map((d) => [d.id, d.attempts]));
    await receiver.up();
    const second = await store.rig();
    const list = await delivered(second, job.id, 2);
    await deliveryJobsEnded(second, 2);
    assert.deepEqual(
      list.map((d) => d.id),
      pending.map((d) => d.id),
      'the same deliveries (the same webhook-id)',
    );
    for (const delivery of list) {
      const requests = receiver.of(delivery.id);
      assert.deepEqual(
        requests.map((r) => r.answered),
        [200],
        `${delivery.event.type}: one request`,
      );
      verified(requests[0]!);
      // The attempts before the stop are kept; the last is the 200.
      const before = refused.get(delivery.id)!;
      assert.ok(before.length >= 1 && before.every((a) => a.statusCode === undefined));
      assert.deepEqual(delivery.attempts.slice(0, before.length), before);
      assert.equal(delivery.attempts.at(-1)!.statusCode, 200);
    }
    assert.equal(receiver.received.length, 2);
  } finally {
    await receiver.down();
  }
}

async function endpointQueues(store: RigStore): Promise<void> {
  const rig = await store.rig({ tenants: ['acme', 'globex'] });
  const receiver = await WebhookReceiver.start();
  const marker = await WebhookReceiver.start();
  const worker = rig.sluice.worker({ queues: ['billing'], handlers: { echo: (ctx) => ctx.job.input }, pollIntervalMs: 20 });
  await worker.start();
  try {
    const created = await rig.call('POST', '/v1/webhooks', { url: receiver.url, queues: ['billing'] }, 'globex');
    assert.equal(created.statusCode, 201, created.body);
    const endpoint = created.json() as { id: string; queues?: string[]; secret?: string };
    assert.deepEqual(endpoint.queues, ['billing']);
    const others = [
      await submit(rig, { type: 'echo', input: {}, queue: 'default' }, 'globex'),
      await submit(rig, { type: 'echo', input: {}, queue: 'billing' }, 'acme'),
    ];
    const billed = await submit(rig, { type: 'echo', input: {}, queue: 'billing' }, 'globex');
    await receiver.waitFor((received) => received.length === 1, 'the billing job’s end');
    const body = new Webhook(endpoint.secret!).verify(
      receiver.received[0]!.body,
      receiver.received[0]!.headers as Record<string, string>,
    ) as Body;
    assert.equal(body.type, 'job.succeeded');
    assert.equal(body.data.id, billed.id);
    assert.equal(body.data.queue, 'billing');
    // The feed is dispatched in order: once a job that began after the others ended has its own
    // webhook delivered, the dispatcher has read past every event of the others.
    for (const job of others) assert.equal((await rig.sluice.waitFor(job.id, { timeoutMs: 20_000 })).status, 'succeeded');
    await submit(rig, { type: 'echo', input: {}, webhook: { url: marker.url } }, 'globex');
    await marker.waitFor((received) => received.length === 1, 'the marker delivery');
    assert.equal(receiver.received.length, 1, 'nothing of another queue or another tenant');
  } finally {
    await worker.stop();
    await marker.down();
    await receiver.down();
  }
}

async function twoProcesses(store: RigStore): Promise<void> {
  const receiver = await WebhookReceiver.start();
  try {
    const first = await store.rig();
    await store.rig();
    const jobs = await Promise.all(
      Array.from({ length: 10 }, (_, n) => submit(first, { type: 'echo', input: { n }, webhook: { url: receiver.url } })),
    );
    for (const job of jobs) await delivered(first, job.id, 1);
    await deliveryJobsEnded(first, 10);
    const ids = receiver.received.map((r) => r.headers['webhook-id']);
    assert.equal(ids.length, 10);
    assert.equal(new Set(ids).size, 10);
    assert.deepEqual(receiver.received.map((r) => verified(r).data.id).sort(), jobs.map((job) => job.id).sort());
  } finally {
    await receiver.down();
  }
}
