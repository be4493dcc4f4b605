import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { describe, test } from 'node:test';
import { loadConfig } from '../../../src/config/config.js';
import { ErrorCodes, SluiceError } from '../../../src/core/errors.js';

describe('loadConfig', () => {
  test('SLUICE_PREFETCH defaults to 0, a flag overrides the variable', () => {
    assert.equal(loadConfig({}).SLUICE_PREFETCH, 0);
    assert.equal(loadConfig({ SLUICE_PREFETCH: '16' }).SLUICE_PREFETCH, 16);
    assert.equal(loadConfig({ SLUICE_PREFETCH: '16' }, { SLUICE_PREFETCH: '4' }).SLUICE_PREFETCH, 4);
  });

  test('a bad value names the variable', () => {
    for (const value of ['-1', 'many', '2.5']) {
      assert.throws(
        () => loadConfig({ SLUICE_PREFETCH: value }),
        (error: unknown) => error instanceof SluiceError && error.code === ErrorCodes.config && error.field === 'SLUICE_PREFETCH',
      );
    }
  });

  test('SLUICE_CPU_THREADS defaults to one thread per core but one, at least one; a flag overrides it', () => {
    assert.equal(loadConfig({}).SLUICE_CPU_THREADS, Math.max(1, availableParallelism() - 1));
    assert.equal(loadConfig({ SLUICE_CPU_THREADS: '3' }).SLUICE_CPU_THREADS, 3);
    assert.equal(loadConfig({ SLUICE_CPU_THREADS: '3' }, { SLUICE_CPU_THREADS: '1' }).SLUICE_CPU_THREADS, 1);
  });

  test('SLUICE_CPU_THREADS below one or not an integer is refused', () => {
    for (const value of ['0', '-2', '1.5', 'all']) {
      assert.throws(
        () => loadConfig({ SLUICE_CPU_THREADS: value }),
        (error: unknown) =>
          error instanceof SluiceError && error.code === ErrorCodes.config && error.field === 'SLUICE_CPU_THREADS',
        value,
      );
    }
  });

  test('SLUICE_WORKER_TENANT is unset by default (every tenant); a flag overrides it; blank counts as unset', () => {
    assert.equal(loadConfig({}).SLUICE_WORKER_TENANT, undefined);
    assert.equal(loadConfig({ SLUICE_WORKER_TENANT: '' }).SLUICE_WORKER_TENANT, undefined);
    assert.equal(loadConfig({ SLUICE_WORKER_TENANT: 'alice' }).SLUICE_WORKER_TENANT, 'alice');
    assert.equal(loadConfig({ SLUICE_WORKER_TENANT: 'alice' }, { SLUICE_WORKER_TENANT: 'bob' }).SLUICE_WORKER_TENANT, 'bob');
    assert.throws(
      () => loadConfig({ SLUICE_WORKER_TENANT: '   ' }),
      (error: unknown) => error instanceof SluiceError && error.field === 'SLUICE_WORKER_TENANT',
    );
  });

  test('SLUICE_PUBLIC_URL is optional and must be a URL', () => {
    assert.equal(loadConfig({}).SLUICE_PUBLIC_URL, undefined);
    assert.equal(
      loadConfig({ SLUICE_PUBLIC_URL: 'https://queue.example.test/sluice' }).SLUICE_PUBLIC_URL,
      'https://queue.example.test/sluice',
    );
    assert.throws(
      () => loadConfig({ SLUICE_PUBLIC_URL: 'not a url' }),
      (error: unknown) => error instanceof SluiceError && error.field === 'SLUICE_PUBLIC_URL',
    );
  });
});

describe('SLUICE_LOG_FORMAT', () => {
  test('json by default; pretty when asked; anything else names the variable', () => {
    assert.equal(loadConfig({}).SLUICE_LOG_FORMAT, 'json');
    assert.equal(loadConfig({ SLUICE_LOG_FORMAT: 'pretty' }).SLUICE_LOG_FORMAT, 'pretty');
    assert.throws(
      () => loadConfig({ SLUICE_LOG_FORMAT: 'colour' }),
      (error: unknown) => error instanceof SluiceError && error.field === 'SLUICE_LOG_FORMAT',
    );
  });
});

describe('SLUICE_EVENTS_*', () => {
  test('unset by default (the push defaults apply); a value out of range names the variable', () => {
    const config = loadConfig({});
    assert.equal(config.SLUICE_EVENTS_POLL_MS, undefined);
    assert.equal(loadConfig({ SLUICE_EVENTS_KEEPALIVE_MS: '5000' }).SLUICE_EVENTS_KEEPALIVE_MS, 5000);
    for (const [name, value] of [
      ['SLUICE_EVENTS_POLL_MS', '5'],
      ['SLUICE_EVENTS_KEEPALIVE_MS', 'soon'],
      ['SLUICE_EVENTS_BUFFER_BYTES', '10'],
    ] as const) {
      assert.throws(
        () => loadConfig({ [name]: value }),
        (error: unknown) => error instanceof SluiceError && error.field === name,
      );
    }
  });
});
