import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { ErrorCodes, hasErrorCode } from '../../../src/core/errors.js';
import { newWebhookSecret, secretKey, signDelivery } from '../../../src/webhooks/signature.js';

const body = JSON.stringify({ type: 'job.succeeded', timestamp: '2026-12-07T12:00:00.000Z', data: { id: 'j1' } });

describe('webhook signatures (Standard Webhooks)', () => {
  test('the standardwebhooks library verifies a delivery signed with a new secret', () => {
    const secret = newWebhookSecret();
    assert.match(secret, /^whsec_[A-Za-z0-9+/]+=*$/);
    const headers = signDelivery({ id: 'msg_1', timestamp: new Date(), body, keys: [secretKey(secret)] });
    assert.deepEqual(new Webhook(secret).verify(body, { ...headers }), JSON.parse(body));
  });

  test('during a rotation both keys sign, so a receiver with either secret accepts', () => {
    const [fresh, old] = [newWebhookSecret(), newWebhookSecret()];
    const headers = signDelivery({ id: 'msg_2', timestamp: new Date(), body, keys: [secretKey(fresh), secretKey(old)] });
    assert.equal(headers['webhook-signature'].split(' ').length, 2);
    for (const secret of [fresh, old]) assert.ok(new Webhook(secret).verify(body, { ...headers }));
    assert.throws(() => new Webhook(newWebhookSecret()).verify(body, { ...headers }), WebhookVerificationError);
  });

  test('a changed body, id or timestamp fails verification', () => {
    const secret = newWebhookSecret();
    const headers = signDelivery({ id: 'msg_3', timestamp: new Date(), body, keys: [secretKey(secret)] });
    const webhook = new Webhook(secret);
    assert.throws(() => webhook.verify(`${body} `, { ...headers }), WebhookVerificationError);
    assert.throws(() => webhook.verify(body, { ...headers, 'webhook-id': 'msg_4' }), WebhookVerificationError);
    const earlier = String(Number(headers['webhook-timestamp']) - 1);
    assert.throws(() => webhook.verify(body, { ...headers, 'webhook-timestamp': earlier }), WebhookVerificationError);
  });

  test('the timestamp is whole seconds', () => {
    const headers = signDelivery({
      id: 'm',
      timestamp: new Date(1_765_108_800_999),
      body,
      keys: [secretKey(newWebhookSecret())],
    });
    assert.equal(headers['webhook-timestamp'], '1765108800');
  });

  test('a secret that is not whsec_ and base64 of 16 bytes or more is a SLUICE_CONFIG error naming the field', () => {
    for (const bad of [
      '',
      'secret',
      'whsec_',
      'whsec_c2hvcnQ=',
      `whsec_${'!'.repeat(40)}`,
      `sk_${Buffer.alloc(32).toString('base64')}`,
    ]) {
      assert.throws(
        () => secretKey(bad, 'secret'),
        (error: unknown) => hasErrorCode(error, ErrorCodes.config) && (error as { field?: string }).field === 'secret',
        bad,
      );
    }
  });
});
