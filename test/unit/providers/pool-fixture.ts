import { type MockProvider, type MockProviderOptions, startMockProvider } from '../../../src/providers/mock-server.js';
import type { ProviderConfig } from '../../../src/providers/provider-config.js';
import { type PoolEvent, ProviderPool, type ProviderPoolOptions } from '../../../src/providers/provider-pool.js';

/** Mock providers on 127.0.0.1, a pool over them, and the pool's events; `close` stops the mocks. */
export interface PoolFixture {
  mocks: Record<string, MockProvider>;
  pool: ProviderPool;
  events: PoolEvent[];
  close(): Promise<void>;
}

export async function poolFixture(
  providers: Array<{ name: string; mock?: MockProviderOptions; config?: Partial<ProviderConfig> }>,
  options: ProviderPoolOptions = {},
): Promise<PoolFixture> {
  const mocks: Record<string, MockProvider> = {};
  const configs: ProviderConfig[] = [];
  for (const provider of providers) {
    const mock = await startMockProvider(provider.mock ?? {});
    mocks[provider.name] = mock;
    configs.push({ name: provider.name, baseUrl: mock.url, models: ['m', 'e'], weight: 1, timeoutMs: 5_000, ...provider.config });
  }
  const events: PoolEvent[] = [];
  const pool = new ProviderPool(configs, {
    ...options,
    onEvent: (event) => {
      events.push(event);
      options.onEvent?.(event);
    },
  });
  return {
    mocks,
    pool,
    events,
    close: async () => {
      await Promise.all(Object.values(mocks).map((mock) => mock.close()));
    },
  };
}

/** A deterministic random source (LCG). */
export function seededRandom(seed = 42): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}
