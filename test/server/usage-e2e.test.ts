import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { JobJson } from '../../src/core/job-json.js';
import { providerHandlers } from '../../src/handlers/provider-handlers.js';
import { usageRecorderFor } from '../../src/providers/usage-recorder.js';
import type { ApiKey } from '../../src/server/auth.js';
import { poolFixture } from '../unit/providers/pool-fixture.js';
import { jobOf, startApp, submit } from './app-fixture.js';

const KEYS = new Map<string, ApiKey>([
  ['key-alpha', { tenant: 'alpha', admin: false }],
  ['key-beta', { tenant: 'beta', admin: false }],
  ['key-admin', { tenant: 'ops', admin: true }],
]);
const as = (key: string) => ({ authorization: `Bearer ${key}` });
const PRICING = {
  cheap: { inputPerMTok: 0.5, outputPerMTok: 1.5 },
  dear: { inputPerMTok: 3, outputPerMTok: 15 },
} as const;

interface ProviderOutput {
  usage: { inputTokens: number; outputTokens: number; totalTokens: number };
  provider: keyof typeof PRICING;
  costUsd?: number;
}

describe('token and cost accounting end to end (mock providers, a Worker, SQLite, GET /v1/usage)', () => {
  test('totals per queue and tenant match the jobs’ usage and the providers’ prices', async () => {
    const fx = await startApp({ apiKeys: KEYS });
    const f = await poolFixture(
      [
        { name: 'cheap', config: { pricing: PRICING.cheap } },
        { name: 'dear', config: { pricing: PRICING.dear } },
      ],
      { strategy: 'weighted' },
    );
    const usage = usageRecorderFor(fx.sluice.backend, { flushIntervalMs: 50 });
    assert.ok(usage, 'SQLite keeps usage');
    const worker = fx.sluice.worker({
      queues: ['chatty', 'vectors'],
      concurrency: 8,
      pollIntervalMs: 20,
      handlers: providerHandlers(f.pool, { usage }),
    });
    try {
      await worker.start();
      const submitted: JobJson[] = [];
      const tenantOf = new Map<string, string>();
      for (const [key, n] of [
        ['key-alpha', 3],
        ['key-beta', 2],
      ] as const) {
        for (let i = 0; i < n; i++) {
          const chat = {
            type: 'chat',
            queue: 'chatty',
            input: { model: 'm', messages: [{ role: 'user', content: `question ${i} from ${key} ${'x '.repeat(i * 7)}` }] },
          };
          const embed = {
            type: 'embed',
            queue: 'vectors',
            input: { model: 'e', texts: [`text ${i}`, `more words ${key} ${i}`] },
          };
          for (const spec of [chat, embed]) {
            const res = await submit(fx.app, spec, as(key));
            assert.equal(res.statusCode, 202, res.body);
            submitted.push(jobOf(res));
            tenantOf.set(jobOf(res).id, key.slice('key-'.length));
          }
        }
      }
      const done: JobJson[] = [];
      for (const job of submitted) {
        const res = await fx.app.inject({ url: `/v1/jobs/${job.id}?wait=30`, headers: as('key-admin') });
        const ended = jobOf(res);
        assert.equal(ended.status, 'succeeded', JSON.stringify(ended.error));
        done.push(ended);
      }
      await usage.flush();

      const expected = (jobs: JobJson[]) => {
        const sum = { inputTokens: 0, outputTokens: 0, totalTokens: 0, costUsd: 0, priced: 0, calls: jobs.length };
        for (const job of jobs) {
          const output = job.output as ProviderOutput;
          const price = PRICING[output.provider];
          sum.inputTokens += output.usage.inputTokens;
          sum.outputTokens += output.usage.outputTokens;
          sum.totalTokens += output.usage.totalTokens;
          sum.costUsd += output.costUsd ?? 0;
          sum.priced += (output.usage.inputTokens * price.inputPerMTok + output.usage.outputTokens * price.outputPerMTok) / 1e6;
        }
        return sum;
      };
      const check = (actual: Record<string, number>, jobs: JobJson[], label: string) => {
        const want = expected(jobs);
        assert.equal(actual.inputTokens, want.inputTokens, `${label} inputTokens`);
        assert.equal(actual.outputTokens, want.outputTokens, `${label} outputTokens`);
        assert.equal(actual.totalTokens, want.totalTokens, `${label} totalTokens`);
        assert.equal(actual.calls, want.calls, `${label} calls`);
        assert.ok(
          Math.abs((actual.costUsd ?? 0) - want.costUsd) < 1e-12,
          `${label} cost ${actual.costUsd} vs jobs ${want.costUsd}`,
        );
        assert.ok(
          Math.abs((actual.costUsd ?? 0) - want.priced) < 1e-12,
          `${label} cost ${actual.costUsd} vs pricing ${want.priced}`,
        );
        assert.ok(want.inputTokens > 0 && want.costUsd > 0, `${label} measured something`);
      };

      const all = (await fx.app.inject({ url: '/v1/usage', headers: as('key-admin') })).json();
      check(all, done, 'all');
      for (const queue of ['chatty', 'vectors']) {
        const jobs = done.filter((job) => job.queue === queue);
        check(
          all.byQueue.find((b: { queue: string }) => b.queue === queue),
          jobs,
          `byQueue ${queue}`,
        );
        check(
          (await fx.app.inject({ url: `/v1/usage?queue=${queue}`, headers: as('key-admin') })).json(),
          jobs,
          `?queue=${queue}`,
        );
      }
      for (const tenant of ['alpha', 'beta']) {
        const own = done.filter((job) => tenantOf.get(job.id) === tenant);
        check(
          all.byTenant.find((b: { tenant: string }) => b.tenant === tenant),
          own,
          `byTenant ${tenant}`,
        );
        const scoped = (await fx.app.inject({ url: '/v1/usage', headers: as(`key-${tenant}`) })).json();
        check(scoped, own, `tenant key ${tenant}`);
      }
      for (const provider of ['cheap', 'dear'] as const) {
        const jobs = done.filter((job) => (job.output as ProviderOutput).provider === provider);
        const bucket = all.byProvider.find((b: { provider: string }) => b.provider === provider);
        if (jobs.length > 0) check(bucket, jobs, `byProvider ${provider}`);
        else assert.equal(bucket, undefined);
      }
    } finally {
      await worker.stop();
      await usage.close();
      await f.close();
      await fx.close();
    }
  });
});
