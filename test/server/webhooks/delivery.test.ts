import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { systemClock } from '../../../src/core/clock.js';
import type { JobJson } from '../../../src/core/job-json.js';
import type { DeliveryView } from '../../../src/webhooks/webhooks.js';
import { MemoryBackend } from '../../helpers/memory-backend.js';
import { until } from '../../helpers/until.js';
import { WebhookReceiver } from '../../helpers/webhook-receiver.js';
import { runDeliveryCases } from './delivery-cases.js';
import { startWebhookRig, TEST_SECRET, unclosable, type WebhookRig } from './webhook-rig.js';

runDeliveryCases('on the in-memory backend', () => {
  const backend = new MemoryBackend({ clock: systemClock });
  return { open: async () => unclosable(backend), cleanup: () => backend.close() };
});

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
