import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import type { JobJson } from '../../../src/core/job-json.js';
import type { DeliveryView } from '../../../src/webhooks/webhooks.js';
import { until } from '../../helpers/until.js';
import { WebhookReceiver } from '../../helpers/webhook-receiver.js';
import { startWebhookRig, TEST_SECRET, type WebhookRig } from './webhook-rig.js';

let rig: WebhookRig;
before(async () => {
  rig = await startWebhookRig();
});
after(() => rig.close());

const verifier = new Webhook(TEST_SECRET);

async function submit(body: unknown): Promise<JobJson> {
  const response = await rig.call('POST', '/v1/jobs', body);
  assert.equal(response.statusCode, 202, response.body);
  return response.json() as JobJson;
}

async function deliveries(jobId: string): Promise<DeliveryView[]> {
  const response = await rig.call('GET', `/v1/jobs/${jobId}/deliveries`);
  assert.equal(response.statusCode, 200, response.body);
  return (response.json() as { deliveries: DeliveryView[] }).deliveries;
}

test('a receiver that is down, then answers 500s, then 200 gets every event, each answered 200 once, retries with one webhook-id', async () => {
  // Two 500s per delivery once it is up; then 200.
  const receiver = await WebhookReceiver.start(({ seenBefore }) => (seenBefore < 2 ? 500 : 200), { listening: false });
  try {
    const job = await submit({
      type: 'echo',
      input: { n: 1 },
      webhook: { url: receiver.url, events: ['job.started', 'job.succeeded'] },
    });
    // Both deliveries fail while the receiver is down (connection refused), and are retried.
    await until(async () => {
      const list = await deliveries(job.id);
      return (
        list.length === 2 && list.every((d) => d.attempts.length >= 2 && d.attempts.every((a) => a.statusCode === undefined))
      );
    }, 'two refused attempts of each delivery');
    await receiver.up();
    await receiver.waitFor((received) => received.filter((r) => r.answered === 200).length === 2, 'both deliveries answered 200');
    const list = await until(async () => {
      const found = await deliveries(job.id);
      return found.every((d) => d.status === 'delivered') && found;
    }, 'both deliveries marked delivered');
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
      for (const request of requests) verifier.verify(request.body, request.headers as Record<string, string>);
      const statuses = delivery.attempts.map((a) => a.statusCode);
      assert.ok(statuses.length >= 5, `refused tries, then 500, 500, 200: ${JSON.stringify(delivery.attempts)}`);
      assert.deepEqual(statuses.slice(-3), [500, 500, 200]);
      assert.ok(delivery.attempts.slice(0, -3).every((a) => a.statusCode === undefined && typeof a.error === 'string'));
      assert.ok(delivery.attempts.every((a) => Number.isInteger(a.latencyMs) && a.latencyMs >= 0));
    }
    // The body: the event's type and time, the job in data, the event in data.event.
    const succeeded = JSON.parse(receiver.of(list[1]!.id)[0]!.body) as {
      type: string;
      timestamp: string;
      data: JobJson & { event: { seq: number; type: string; data: { output: unknown } } };
    };
    assert.equal(succeeded.type, 'job.succeeded');
    assert.ok(!Number.isNaN(Date.parse(succeeded.timestamp)));
    assert.equal(succeeded.data.id, job.id);
    assert.equal(succeeded.data.status, 'succeeded');
    assert.deepEqual(succeeded.data.event.data.output, { n: 1 });
  } finally {
    await receiver.down();
  }
});

test('by default only the terminal events are delivered; a failed job delivers job.failed', async () => {
  const receiver = await WebhookReceiver.start();
  try {
    const ok = await submit({ type: 'echo', input: {}, webhook: { url: receiver.url } });
    const failed = await submit({ type: 'boom', input: {}, maxAttempts: 1, webhook: { url: receiver.url } });
    await receiver.waitFor((received) => received.length === 2, 'two deliveries');
    const types = receiver.received.map((r) => JSON.parse(r.body) as { type: string; data: { id: string } });
    assert.deepEqual(
      types.map((t) => `${t.data.id === ok.id ? 'ok' : t.data.id === failed.id ? 'failed' : '?'}:${t.type}`).sort(),
      ['failed:job.failed', 'ok:job.succeeded'],
    );
  } finally {
    await receiver.down();
  }
});

test('a receiver that answers 410 Gone is not retried', async () => {
  const receiver = await WebhookReceiver.start(() => 410);
  try {
    const job = await submit({ type: 'echo', input: {}, webhook: { url: receiver.url } });
    const [delivery] = await until(async () => {
      const list = await deliveries(job.id);
      return list[0]?.status === 'gone' && list;
    }, 'the delivery marked gone');
    assert.equal(delivery!.attempts.length, 1);
    assert.equal(receiver.received.length, 1);
  } finally {
    await receiver.down();
  }
});

test('POST …/deliveries/{id}/retry delivers again with the same webhook-id and body', async () => {
  const receiver = await WebhookReceiver.start();
  try {
    const job = await submit({ type: 'echo', input: { again: true }, webhook: { url: receiver.url } });
    const [delivery] = await until(async () => {
      const list = await deliveries(job.id);
      return list[0]?.status === 'delivered' && list;
    }, 'the first delivery');
    const retry = await rig.call('POST', `/v1/jobs/${job.id}/deliveries/${delivery!.id}/retry`);
    assert.equal(retry.statusCode, 202, retry.body);
    assert.equal((retry.json() as DeliveryView).status, 'pending');
    await receiver.waitFor((received) => received.length === 2, 'the redelivery');
    const [first, second] = receiver.of(delivery!.id);
    assert.equal(second!.body, first!.body);
    verifier.verify(second!.body, second!.headers as Record<string, string>);
    const missing = await rig.call('POST', `/v1/jobs/${job.id}/deliveries/msg_nope/retry`);
    assert.equal(missing.statusCode, 404);
  } finally {
    await receiver.down();
  }
});

test('a delivery still being retried cannot be retried by hand (409)', async () => {
  const receiver = await WebhookReceiver.start(() => 200, { listening: false });
  const job = await submit({ type: 'echo', input: {}, webhook: { url: receiver.url } });
  const [delivery] = await until(async () => {
    const list = await deliveries(job.id);
    return (list[0]?.attempts.length ?? 0) >= 1 && list;
  }, 'a refused attempt');
  const retry = await rig.call('POST', `/v1/jobs/${job.id}/deliveries/${delivery!.id}/retry`);
  assert.equal(retry.statusCode, 409, retry.body);
  await receiver.up();
  await receiver.waitFor((received) => received.length === 1, 'the delivery once the receiver is up');
  await receiver.down();
});

test('a bad webhook is a 400 naming webhook.url or webhook.events, and nothing is stored', async () => {
  const before = (await rig.sluice.list({ limit: 1000 })).jobs.length;
  const cases: Array<[unknown, string]> = [
    [{ url: 'ftp://example.com/x' }, 'webhook.url'],
    [{ url: 'http://user:pw@example.com/x' }, 'webhook.url'],
    [{ url: `https://example.com/${'a'.repeat(2100)}` }, 'webhook.url'],
    [{ url: 'not a url' }, 'webhook.url'],
    [{ url: 'http://10.0.0.7/hook' }, 'webhook.url'],
    [{ url: 'http://169.254.169.254/latest/meta-data' }, 'webhook.url'],
    [{ url: 'http://[::1]:8080/hook' }, 'webhook.url'],
    [{ url: 'https://example.com/x', events: ['job.nope'] }, 'webhook.events.0'],
    [{ url: 'https://example.com/x', extra: 1 }, 'webhook.extra'],
  ];
  for (const [webhook, field] of cases) {
    const response = await rig.call('POST', '/v1/jobs', { type: 'echo', input: {}, webhook });
    assert.equal(response.statusCode, 400, `${JSON.stringify(webhook)}: ${response.body}`);
    const error = (response.json() as { error: { field?: string } }).error;
    assert.equal(error.field, field, JSON.stringify(webhook));
  }
  const bulk = await rig.call('POST', '/v1/jobs/bulk', {
    jobs: [{ type: 'echo' }, { type: 'echo', webhook: { url: 'http://10.1.1.1/' } }],
  });
  assert.equal(bulk.statusCode, 400);
  assert.equal((bulk.json() as { error: { field?: string } }).error.field, 'jobs.1.webhook.url');
  assert.equal((await rig.sluice.list({ limit: 1000 })).jobs.length, before);
});

test('two Sluice processes on one backend deliver each event once', async () => {
  const receiver = await WebhookReceiver.start();
  const second = await startWebhookRig({ backend: rig.backend });
  try {
    const jobs = await Promise.all(
      Array.from({ length: 10 }, (_, n) => submit({ type: 'echo', input: { n }, webhook: { url: receiver.url } })),
    );
    await receiver.waitFor((received) => received.length >= 10, 'ten deliveries');
    await until(async () => {
      const list = await Promise.all(jobs.map((job) => deliveries(job.id)));
      return list.every((d) => d.length === 1 && d[0]!.status === 'delivered');
    }, 'every delivery marked delivered');
    const ids = receiver.received.map((r) => r.headers['webhook-id']);
    assert.equal(ids.length, 10);
    assert.equal(new Set(ids).size, 10);
  } finally {
    await second.close();
    await receiver.down();
  }
});
