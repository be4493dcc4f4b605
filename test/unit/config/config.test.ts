import assert from 'node:assert/strict';
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
