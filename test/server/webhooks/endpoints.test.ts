import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import type { JobJson } from '../../../src/core/job-json.js';
import { until } from '../../helpers/until.js';
import { WebhookReceiver } from '../../helpers/webhook-receiver.js';
import { startWebhookRig, type WebhookRig } from './webhook-rig.js';

let rig: WebhookRig;
before(async () => {
  rig = await startWebhookRig({ tenants: ['acme', 'globex'] });
});
after(() => rig.close());

interface CreatedEndpoint {
  id: string;
  url: string;
  events: string[];
  queues?: string[];
  secret?: string;
  disabledAt?: number;
}

async function createEndpoint(tenant: string, body: unknown): Promise<CreatedEndpoint> {
  const response = await rig.call('POST', '/v1/webhooks', body, tenant);
  assert.equal(response.statusCode, 201, response.body);
  return response.json() as CreatedEndpoint;
}

async function submit(tenant: string, body: unknown): Promise<JobJson> {
  const response = await rig.call('POST', '/v1/jobs', body, tenant);
  assert.equal(response.statusCode, 202, response.body);
  return response.json() as JobJson;
}

test("a tenant's endpoint gets its jobs' events, signed with the tenant's secret, and no other tenant's", async () => {
  const receiver = await WebhookReceiver.start();
  try {
    const endpoint = await createEndpoint('acme', { url: receiver.url, events: ['job.created', 'job.succeeded'] });
    assert.match(endpoint.id, /^we_/);
    assert.match(endpoint.secret ?? '', /^whsec_/);
    assert.deepEqual(endpoint.events, ['job.created', 'job.succeeded']);
    const mine = await submit('acme', { type: 'echo', input: { who: 'acme' } });
    await submit('globex', { type: 'echo', input: { who: 'globex' } });
    await receiver.waitFor((received) => received.length === 2, "acme's two events");
    const verifier = new Webhook(endpoint.secret!);
    const bodies = receiver.received.map(
      (r) => verifier.verify(r.body, r.headers as Record<string, string>) as { type: string; data: { id: string } },
    );
    assert.deepEqual(bodies.map((b) => b.type).sort(), ['job.created', 'job.succeeded']);
    assert.ok(bodies.every((b) => b.data.id === mine.id));
    // globex's job ends too; its events go to no acme endpoint.
    const list = await rig.call('GET', '/v1/webhooks', undefined, 'acme');
    assert.deepEqual(
      (list.json() as { webhooks: CreatedEndpoint[] }).webhooks.map((w) => w.id),
      [endpoint.id],
    );
    assert.equal(
      ((await rig.call('GET', '/v1/webhooks', undefined, 'globex')).json() as { webhooks: unknown[] }).webhooks.length,
      0,
    );
    // Another tenant cannot delete it; its owner can, once.
    assert.equal((await rig.call('DELETE', `/v1/webhooks/${endpoint.id}`, undefined, 'globex')).statusCode, 404);
    assert.equal((await rig.call('DELETE', `/v1/webhooks/${endpoint.id}`, undefined, 'acme')).statusCode, 204);
    assert.equal((await rig.call('DELETE', `/v1/webhooks/${endpoint.id}`, undefined, 'acme')).statusCode, 404);
  } finally {
    await receiver.down();
  }
});

test('410 Gone disables the endpoint: it stays listed, disabled, and gets nothing more', async () => {
  const receiver = await WebhookReceiver.start(() => 410);
  try {
    const endpoint = await createEndpoint('acme', { url: receiver.url });
    await submit('acme', { type: 'echo', input: {} });
    const disabled = await until(async () => {
      const list = (await rig.call('GET', '/v1/webhooks', undefined, 'acme')).json() as { webhooks: CreatedEndpoint[] };
      const found = list.webhooks.find((w) => w.id === endpoint.id);
      return found?.disabledAt !== undefined && found;
    }, 'the endpoint disabled');
    assert.equal(typeof disabled.disabledAt, 'number');
    await submit('acme', { type: 'echo', input: {} });
    // The feed is dispatched in order: once a later job's own webhook has its delivery, the
    // dispatcher has read past the second job's end.
    const marker = await WebhookReceiver.start();
    try {
      await submit('acme', { type: 'echo', input: {}, webhook: { url: marker.url } });
      await marker.waitFor((received) => received.length === 1, 'the marker delivery');
    } finally {
      await marker.down();
    }
    assert.equal(receiver.received.length, 1);
    await rig.call('DELETE', `/v1/webhooks/${endpoint.id}`, undefined, 'acme');
  } finally {
    await receiver.down();
  }
});

test('rotation: both secrets sign during the overlap, then only the new one', async () => {
  const receiver = await WebhookReceiver.start();
  try {
    const endpoint = await createEndpoint('globex', { url: receiver.url });
    const rotated = await rig.call('POST', '/v1/webhooks/secret/rotate', { overlapMs: 3_600_000 }, 'globex');
    assert.equal(rotated.statusCode, 200, rotated.body);
    const { secret } = rotated.json() as { secret: string; previousValidUntil: number };
    assert.notEqual(secret, endpoint.secret);
    await submit('globex', { type: 'echo', input: {} });
    await receiver.waitFor((received) => received.length === 1, 'a delivery during the overlap');
    const during = receiver.received[0]!;
    assert.equal(String(during.headers['webhook-signature']).split(' ').length, 2);
    new Webhook(endpoint.secret!).verify(during.body, during.headers as Record<string, string>);
    new Webhook(secret).verify(during.body, during.headers as Record<string, string>);
    // No overlap: the old secret stops signing at once.
    const again = (await rig.call('POST', '/v1/webhooks/secret/rotate', { overlapMs: 0 }, 'globex')).json() as { secret: string };
    await submit('globex', { type: 'echo', input: {} });
    await receiver.waitFor((received) => received.length === 2, 'a delivery after the overlap');
    const afterwards = receiver.received[1]!;
    assert.equal(String(afterwards.headers['webhook-signature']).split(' ').length, 1);
    new Webhook(again.secret).verify(afterwards.body, afterwards.headers as Record<string, string>);
    assert.throws(() => new Webhook(secret).verify(afterwards.body, afterwards.headers as Record<string, string>));
    await rig.call('DELETE', `/v1/webhooks/${endpoint.id}`, undefined, 'globex');
  } finally {
    await receiver.down();
  }
});

test("another tenant's job has no deliveries to see (404); bad endpoint bodies are 400 naming the field", async () => {
  const job = await submit('acme', { type: 'echo', input: {} });
  assert.equal((await rig.call('GET', `/v1/jobs/${job.id}/deliveries`, undefined, 'globex')).statusCode, 404);
  assert.equal((await rig.call('GET', `/v1/jobs/${job.id}/deliveries`, undefined, 'acme')).statusCode, 200);
  const unknown = '00000000-0000-4000-8000-000000000000';
  assert.equal((await rig.call('GET', `/v1/jobs/${unknown}/deliveries`, undefined, 'acme')).statusCode, 404);
  const cases: Array<[unknown, string]> = [
    [{ url: 'gopher://x' }, 'url'],
    [{ url: 'http://192.168.1.1/' }, 'url'],
    [{ url: 'https://example.com/', events: [] }, 'events'],
    [{ url: 'https://example.com/', queues: ['bad name'] }, 'queues.0'],
    [{}, 'url'],
  ];
  for (const [body, field] of cases) {
    const response = await rig.call('POST', '/v1/webhooks', body, 'acme');
    assert.equal(response.statusCode, 400, `${JSON.stringify(body)}: ${response.body}`);
    assert.equal((response.json() as { error: { field?: string } }).error.field, field, JSON.stringify(body));
  }
  assert.equal(((await rig.call('GET', '/v1/webhooks', undefined, 'acme')).json() as { webhooks: unknown[] }).webhooks.length, 0);
});
