import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FeedEvent } from '../../../src/core/ports/event-log.js';
import { deliveryBody, deliveryId, targetsOf } from '../../../src/webhooks/delivery-plan.js';
import type { EndpointRecord } from '../../../src/webhooks/records.js';
import { deliveryAttempts, deliveryBackoff } from '../../../src/webhooks/retry-schedule.js';
import { DELIVERY_QUEUE } from '../../../src/webhooks/settings.js';

const event = (overrides: Partial<FeedEvent> = {}): FeedEvent => ({
  seq: 3,
  jobId: 'j1',
  type: 'job.succeeded',
  at: Date.UTC(2026, 11, 7, 12),
  queue: 'default',
  cursor: '9',
  data: { output: { ok: true } },
  attempt: 1,
  ...overrides,
});

const endpoint = (overrides: Partial<EndpointRecord> = {}): EndpointRecord => ({
  id: 'we_1',
  url: 'https://a.example/hook',
  events: ['job.succeeded', 'job.failed'],
  createdAt: 0,
  ...overrides,
});

test("targets: the job's own webhook when it asked for the type, and each matching live endpoint", () => {
  const own = { url: 'https://own.example/', events: ['job.succeeded' as const] };
  const endpoints = [
    endpoint(),
    endpoint({ id: 'we_2', events: ['job.created'] }),
    endpoint({ id: 'we_3', queues: ['other'] }),
    endpoint({ id: 'we_4', queues: ['default'] }),
    endpoint({ id: 'we_5', disabledAt: 1 }),
  ];
  assert.deepEqual(targetsOf(event(), own, endpoints), [
    { url: 'https://own.example/' },
    { url: 'https://a.example/hook', endpointId: 'we_1' },
    { url: 'https://a.example/hook', endpointId: 'we_4' },
  ]);
  assert.deepEqual(targetsOf(event({ type: 'job.started' }), own, endpoints), []);
});

test('targets: events of the delivery queue go nowhere (a delivery makes no deliveries)', () => {
  assert.deepEqual(
    targetsOf(event({ queue: DELIVERY_QUEUE }), { url: 'https://own.example/', events: ['job.succeeded'] }, [endpoint()]),
    [],
  );
});

test('a delivery id is the same for the same event and target, and differs otherwise', () => {
  const own = { url: 'https://own.example/' };
  const id = deliveryId(event(), own);
  assert.match(id, /^msg_[A-Za-z0-9_-]{27}$/);
  assert.equal(deliveryId(event(), own), id);
  assert.notEqual(deliveryId(event({ seq: 4 }), own), id);
  assert.notEqual(deliveryId(event({ jobId: 'j2' }), own), id);
  assert.notEqual(deliveryId(event(), { url: 'https://a.example/hook', endpointId: 'we_1' }), id);
  assert.notEqual(
    deliveryId(event(), { url: 'https://a.example/hook', endpointId: 'we_1' }),
    deliveryId(event(), { url: 'https://a.example/hook', endpointId: 'we_2' }),
  );
});

test('the body is {type, timestamp, data}: a purged job is shown by id and queue, with the event', () => {
  const body = JSON.parse(deliveryBody(event(), null)) as Record<string, unknown>;
  assert.deepEqual(body, {
    type: 'job.succeeded',
    timestamp: '2026-12-07T12:00:00.000Z',
    data: {
      id: 'j1',
      queue: 'default',
      event: { seq: 3, type: 'job.succeeded', at: '2026-12-07T12:00:00.000Z', attempt: 1, data: { output: { ok: true } } },
    },
  });
});

test('retries: the waits’ caps add up to the retry window, exponential with full jitter, capped at an hour', () => {
  const day = 24 * 3_600_000;
  const attempts = deliveryAttempts(day, 5_000);
  let total = 0;
  let delay = 5_000;
  for (let i = 1; i < attempts; i++) {
    total += delay;
    delay = Math.min(delay * 2, 3_600_000);
  }
  assert.ok(total >= day, `caps of ${attempts - 1} waits: ${total} ms`);
  assert.ok(total - Math.min(delay, 3_600_000) < day, 'one attempt fewer would not reach a day');
  assert.deepEqual(deliveryBackoff(5_000), { type: 'exponential', delayMs: 5_000, maxDelayMs: 3_600_000, jitter: 'full' });
  assert.equal(deliveryAttempts(1, 5_000), 2);
  assert.equal(deliveryAttempts(365 * day, 5_000), 100, 'never more than a job may have');
});
