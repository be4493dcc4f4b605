import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseNatsUrl, ReconnectBackoff, redactNatsUrl } from '../../../src/backends/nats/connect-options.js';
import {
  deadStreamName,
  deadSubject,
  deadSubjects,
  escapeName,
  workStreamName,
  workSubject,
} from '../../../src/backends/nats/names.js';

describe('nats names', () => {
  test('queue names with . and : become single subject tokens and valid stream names', () => {
    assert.equal(escapeName('default'), 'default');
    assert.equal(escapeName('my.queue:1'), 'my_2equeue_3a1');
    assert.equal(escapeName('a_b'), 'a_5fb');
    assert.equal(workStreamName('sluice', 'emails.high'), 'sluice__emails_2ehigh');
    assert.equal(workSubject('sluice', 'emails.high'), 'sluice.work.emails_2ehigh');
    assert.equal(deadStreamName('sluice'), 'sluice__dead');
    assert.equal(deadSubject('sluice', 'a.b'), 'sluice.dead.a_2eb');
    assert.equal(deadSubjects('sluice'), 'sluice.dead.>');
    for (const name of [workStreamName('p.x', 'q:y'), workSubject('p.x', 'q:y')]) assert.doesNotMatch(name, /[*> ]/);
  });

  test('the escape is injective: distinct prefix/queue pairs never share a stream', () => {
    const pairs: Array<[string, string]> = [
      ['a', 'b_c'],
      ['a_b', 'c'],
      ['a__b', 'c'],
      ['a', '_b_c'],
      ['a.', 'b'],
      ['a', '.b'],
    ];
    const names = new Set(pairs.map(([p, q]) => workStreamName(p, q)));
    assert.equal(names.size, pairs.length);
  });
});

describe('nats URL', () => {
  test('servers, credentials, prefix and token', () => {
    assert.deepEqual(parseNatsUrl('nats://127.0.0.1:4222'), { servers: ['127.0.0.1:4222'] });
    assert.deepEqual(parseNatsUrl('nats://u:p%40ss@a:1,b?prefix=x'), {
      servers: ['a:1', 'b:4222'],
      user: 'u',
      pass: 'p@ss',
      prefix: 'x',
    });
    assert.deepEqual(parseNatsUrl('NATS://h:4443/?token=t'), { servers: ['h:4443'], token: 't' });
    assert.throws(() => parseNatsUrl('nats://h?prefx=x'), /unknown nats URL option "prefx"/);
    assert.throws(() => parseNatsUrl('amqp://h'), /not a nats:\/\/ URL/);
    assert.equal(redactNatsUrl('nats://u:secret@h?token=tok&prefix=p'), 'nats://u:***@h?token=***&prefix=p');
  });

  test('reconnect waits double up to 5 s and start over once connected', () => {
    const backoff = new ReconnectBackoff();
    assert.deepEqual(
      Array.from({ length: 8 }, () => backoff.next()),
      [100, 200, 400, 800, 1600, 3200, 5000, 5000],
    );
    backoff.reset();
    assert.equal(backoff.next(), 100);
  });
});
