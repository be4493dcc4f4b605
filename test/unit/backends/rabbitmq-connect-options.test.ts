import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_HEARTBEAT_SECONDS, withHeartbeat } from '../../../src/backends/rabbitmq/connect-options.js';

describe('RabbitMQ connect options', () => {
  test('a URL without a heartbeat asks for the short default, keeping its other parameters', () => {
    const url = new URL(withHeartbeat('amqp://guest:guest@127.0.0.1:5672/vh?prefix=p1'));
    assert.equal(url.searchParams.get('heartbeat'), String(DEFAULT_HEARTBEAT_SECONDS));
    assert.equal(url.searchParams.get('prefix'), 'p1');
    assert.equal(url.pathname, '/vh');
    assert.equal(url.username, 'guest');
  });

  test("the URL's own heartbeat wins, 0 included", () => {
    assert.equal(withHeartbeat('amqp://127.0.0.1:5672?heartbeat=30'), 'amqp://127.0.0.1:5672?heartbeat=30');
    assert.equal(withHeartbeat('amqp://127.0.0.1:5672?heartbeat=0'), 'amqp://127.0.0.1:5672?heartbeat=0');
  });
});
