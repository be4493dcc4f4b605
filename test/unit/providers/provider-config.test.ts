import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../../../src/config/config.js';
import { parseProviders } from '../../../src/providers/provider-config.js';

const ok = { name: 'a', baseUrl: 'http://127.0.0.1:1/v1/', models: ['m'] };

function configError(value: string, pattern: RegExp, options: Parameters<typeof parseProviders>[1] = {}): void {
  assert.throws(
    () => parseProviders(value, options),
    (error: { code?: string; message?: string }) => {
      assert.equal(error.code, 'SLUICE_CONFIG');
      assert.match(error.message ?? '', pattern);
      return true;
    },
  );
}

describe('SLUICE_PROVIDERS', () => {
  test('parses a list with defaults and a trimmed base URL', () => {
    const [provider] = parseProviders(JSON.stringify([{ ...ok, rpm: 60, pricing: { inputPerMTok: 1, outputPerMTok: 2 } }]));
    assert.deepEqual(provider, {
      name: 'a',
      baseUrl: 'http://127.0.0.1:1/v1',
      models: ['m'],
      weight: 1,
      timeoutMs: 60_000,
      rpm: 60,
      pricing: { inputPerMTok: 1, outputPerMTok: 2 },
    });
  });

  test('empty or unset means no providers', () => {
    assert.deepEqual(parseProviders(undefined), []);
    assert.deepEqual(parseProviders('  '), []);
  });

  test('a bad entry names the entry and the field', () => {
    configError(JSON.stringify([ok, { ...ok, name: 'b', baseUrl: 'not a url' }]), /^SLUICE_PROVIDERS\[1\]\.baseUrl: /);
    configError(JSON.stringify([{ ...ok, models: [] }]), /^SLUICE_PROVIDERS\[0\]\.models: /);
    configError(JSON.stringify([{ ...ok, rpm: -1 }]), /^SLUICE_PROVIDERS\[0\]\.rpm: /);
    configError(JSON.stringify([{ ...ok, pricing: { inputPerMTok: 1 } }]), /^SLUICE_PROVIDERS\[0\]\.pricing\.outputPerMTok: /);
    configError(JSON.stringify([{ ...ok, modles: ['x'] }]), /^SLUICE_PROVIDERS\[0\]: .*modles/);
    configError(JSON.stringify([ok, ok]), /^SLUICE_PROVIDERS\[1\]\.name: "a" is used by an earlier entry/);
  });

  test('bad JSON, a non-list and an unreadable file are config errors', () => {
    configError('[{', /^SLUICE_PROVIDERS: not valid JSON/);
    configError('{"a":1}', /^SLUICE_PROVIDERS: must be a JSON array/);
    configError('@/nonexistent/providers.json', /^SLUICE_PROVIDERS: cannot read \/nonexistent\/providers.json/);
  });

  test('reads @file and resolves apiKeyEnv', () => {
    const files: Record<string, string> = { '/etc/p.json': JSON.stringify({ providers: [{ ...ok, apiKeyEnv: 'KEY_A' }] }) };
    const [provider] = parseProviders('@/etc/p.json', { readFile: (path) => files[path] ?? '', env: { KEY_A: 'sk-1' } });
    assert.equal(provider?.apiKey, 'sk-1');
    configError(
      JSON.stringify([{ ...ok, apiKeyEnv: 'MISSING' }]),
      /^SLUICE_PROVIDERS\[0\]\.apiKeyEnv: environment variable MISSING/,
      {
        env: {},
      },
    );
  });

  test('is one of the configuration variables', () => {
    assert.equal(loadConfig({ SLUICE_PROVIDERS: '[]' }).SLUICE_PROVIDERS, '[]');
  });
});

describe('openProviderPool', () => {
  test('no providers gives no pool; a backend with budgets makes them shared', async () => {
    const { openProviderPool } = await import('../../../src/providers/open-provider-pool.js');
    assert.equal(openProviderPool(''), undefined);
    const local = openProviderPool(JSON.stringify([ok]));
    assert.equal(local?.sharedBudgets, false);
    assert.deepEqual(local?.pool.models, ['m']);
    const shared = openProviderPool(JSON.stringify([ok]), {
      backend: {
        capabilities: { rateBudgets: true },
        updateRateBudget: async () => ({ granted: true, waitMs: 0, factor: 1, blockedUntil: 0 }),
      },
    });
    assert.equal(shared?.sharedBudgets, true);
  });
});
