import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { captureLogs, records } from '../helpers/log-capture.js';
import { startApp } from './app-fixture.js';

describe('request logging', () => {
  test('at info, health and metrics probes write nothing and other requests one line each', async () => {
    const { logger, lines } = captureLogs('info');
    const fixture = await startApp({ loggerInstance: logger });
    try {
      for (let i = 0; i < 20; i++) {
        for (const url of ['/healthz', '/readyz', '/metrics', '/healthz?probe=lb']) {
          assert.ok((await fixture.app.inject({ url })).statusCode < 500, url);
        }
      }
      assert.deepEqual(lines, [], 'no line for 80 probes');

      const listed = await fixture.app.inject({ url: '/v1/jobs?limit=5' });
      const missing = await fixture.app.inject({ url: '/v1/jobs/no-such-job' });
      const created = await fixture.app.inject({
        method: 'POST',
        url: '/v1/jobs',
        payload: { type: 'noop', input: {} },
      });
      const logged = records(lines);
      assert.equal(logged.length, 3, lines.join('\n'));
      const statuses = [listed.statusCode, missing.statusCode, created.statusCode];
      assert.deepEqual(
        logged.map(({ method, url, status, level, msg }) => ({ method, url, status, level, msg })),
        [
          { method: 'GET', url: '/v1/jobs?limit=5', status: statuses[0], level: 30, msg: 'request' },
          { method: 'GET', url: '/v1/jobs/no-such-job', status: statuses[1], level: 30, msg: 'request' },
          { method: 'POST', url: '/v1/jobs', status: statuses[2], level: 30, msg: 'request' },
        ],
      );
      for (const record of logged) assert.equal(typeof record.durationMs, 'number');
    } finally {
      await fixture.close();
    }
  });

  test('at debug, probes are logged too, still one line per request', async () => {
    const { logger, lines } = captureLogs('debug');
    const fixture = await startApp({ loggerInstance: logger });
    try {
      for (let i = 0; i < 5; i++) await fixture.app.inject({ url: '/healthz' });
      const requests = records(lines).filter((record) => record.msg === 'request');
      assert.equal(requests.length, 5);
      assert.ok(requests.every((record) => record.url === '/healthz' && record.level === 20 && record.status === 200));
    } finally {
      await fixture.close();
    }
  });
});
