import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { makeTempDir } from '../helpers/temp-dir.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tmp = makeTempDir('sluice-bench-smoke-');
after(() => tmp.cleanup());

// The harness end to end on a tiny configuration: two workloads, Sluice-sqlite vs the raw
// better-sqlite3 loop (no services needed), two runs. Checks the report's shape, never timings.
test('bench harness writes a report with median/min/max and ratio per row', { timeout: 60_000 }, () => {
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'bench/run.ts', '--only', 'enqueue:sqlite,e2e:sqlite', '--n', '200', '--runs', '2', '--out', tmp.dir],
    { cwd: root, encoding: 'utf8', timeout: 55_000 },
  );
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /\| Workload \| Pair \| Metric/);

  const report = JSON.parse(readFileSync(join(tmp.dir, 'latest.json'), 'utf8')) as {
    header: { node: string; command: string; machine: { cores: number; memoryGiB: number }; runs: number; sluiceBuild: string };
    rows: Array<Record<string, unknown>>;
  };
  assert.equal(report.header.runs, 2);
  assert.equal(report.header.sluiceBuild, 'compiled', 'the harness runs Sluice as deployed: compiled');
  assert.ok(report.header.machine.cores >= 1);
  assert.match(report.header.command, /--only/);
  const metrics = report.rows.map((r) => r.metric);
  assert.deepEqual(metrics, ['enqueue one-by-one', 'enqueue bulk', 'end-to-end c=1', 'end-to-end c=50']);
  for (const row of report.rows) {
    assert.equal(row.error, undefined, `row ${row.metric}: ${String(row.error)}`);
    for (const side of ['sluice', 'peer', 'ratio'] as const) {
      const s = row[side] as { median: number; min: number; max: number; runs: number[] };
      assert.ok(s, `${row.metric} has ${side}`);
      for (const key of ['median', 'min', 'max'] as const) assert.equal(typeof s[key], 'number', `${row.metric} ${side}.${key}`);
      assert.ok(s.min <= s.median && s.median <= s.max);
      assert.equal(s.runs.length, 2);
    }
    assert.equal((row.sluice as { name: string }).name, 'sluice-sqlite');
    assert.equal((row.peer as { name: string }).name, 'raw-sqlite');
  }
  assert.match(readFileSync(join(tmp.dir, 'latest.md'), 'utf8'), /sluice-sqlite/);
});

// The full run enqueues more embed jobs than one bulk call takes: the workload must split them.
test('the batching workload takes more jobs than one bulk call holds', { timeout: 60_000 }, async () => {
  // Loaded from src (the harness itself compiles Sluice first; the test above covers that path).
  process.env.SLUICE_BENCH_SOURCE = '1';
  const { embedBatching } = await import('../../bench/workloads/embed-batching.js');
  const { LIMITS } = await import('../../src/core/job-spec.js');
  const n = LIMITS.bulkMax + 1;
  const measured = await embedBatching(true, { n, latencyMs: 1, concurrency: 32, providerConcurrency: 4 });
  const throughput = measured.find((m) => m.unit === 'jobs/s');
  const requests = measured.find((m) => m.unit === 'requests');
  assert.ok(throughput && throughput.value > 0);
  // Batched: fewer provider requests than jobs (each request carries up to a window of jobs).
  assert.ok(requests && requests.value > 0 && requests.value < 1, `requests per job: ${requests?.value}`);
});

// Issue 22's row: a real `sluice serve` (from src here), probed while factorial jobs run and idle.
test('the api-cpu workload reports /healthz percentiles with and without CPU jobs', { timeout: 120_000 }, async () => {
  process.env.SLUICE_BENCH_SOURCE = '1';
  const { apiUnderCpu } = await import('../../bench/workloads/api-under-cpu.js');
  for (const jobs of [2, 0]) {
    const measured = await apiUnderCpu({ jobs, n: 20_000, idleSeconds: 0.5, timeoutMs: 60_000 });
    const value = (metric: string) => {
      const found = measured.find((m) => m.metric === metric);
      assert.ok(found && Number.isFinite(found.value), `${metric} with ${jobs} jobs: ${JSON.stringify(found)}`);
      return found.value;
    };
    const [p50, p95, p99, max] = ['p50', 'p95', 'p99', 'max'].map((p) => value(`GET /healthz ${p}`)) as [
      number,
      number,
      number,
      number,
    ];
    assert.ok(p50 > 0 && p50 <= p95 && p95 <= p99 && p99 <= max, `${p50} ${p95} ${p99} ${max}`);
    assert.ok(value('GET /v1/jobs/{id} p99') > 0);
    assert.ok(value('probes') >= 2);
  }
});

// Issue 18's push rows, on SQLite (no service needed), tiny sizes: real server processes, real
// clients. Latencies are checked for shape and sign (a clock mix-up shows as a negative latency).
const pushSizes = { rate: 100, seconds: 0.3, warmup: 5, timeoutMs: 30_000 };

for (const receiver of ['sse', 'webhook'] as const) {
  test(`the push workload times completion → ${receiver} notification on SQLite`, { timeout: 90_000 }, async () => {
    process.env.SLUICE_BENCH_SOURCE = '1';
    const { sluicePushLatency } = await import('../../bench/workloads/push-latency.js');
    const measured = await sluicePushLatency('sqlite', receiver, pushSizes);
    const [p50, p99] = ['p50', 'p99'].map((p) => measured.find((m) => m.metric === `completion→notification ${p}`)?.value);
    assert.ok(p50 !== undefined && p99 !== undefined, JSON.stringify(measured));
    assert.ok(p50 > 0 && p50 <= p99 && p99 < 30_000, `${p50} ${p99}`);
  });
}

test('the push fan-out row reads every subscriber stream and reports memory per subscriber', { timeout: 90_000 }, async () => {
  process.env.SLUICE_BENCH_SOURCE = '1';
  const { pushFanout } = await import('../../bench/workloads/push-fanout.js');
  const measured = await pushFanout({ subscribers: 20, jobs: 5, rate: 50, timeoutMs: 30_000 });
  const value = (metric: string) => {
    const found = measured.find((m) => m.metric === metric);
    assert.ok(found && Number.isFinite(found.value), `${metric}: ${JSON.stringify(found)}`);
    return found.value;
  };
  value('server RSS per subscriber');
  value('server heap per subscriber');
  const p50 = value('delivery to all subscribers p50');
  assert.ok(p50 > 0 && p50 <= value('delivery to all subscribers p99'));
});

test('the chat stream row counts the deltas of a streamed answer and its store writes', { timeout: 90_000 }, async () => {
  process.env.SLUICE_BENCH_SOURCE = '1';
  const { chatStream } = await import('../../bench/workloads/chat-stream.js');
  const measured = await chatStream({ tokens: 40, tokenDelayMs: 2 });
  const value = (unit: string) => measured.find((m) => m.unit === unit)?.value ?? Number.NaN;
  const events = value('events');
  assert.ok(events >= 1 && events <= 40, `${events} delta events`);
  // Each appendOutput is one stored job.output.delta event, and the stream carries each once.
  assert.equal(value('writes'), events);
  assert.equal(Math.round(value('tokens') * events), 40);
});

test('--only push selects the push rows, the Sluice-only ones without a peer', async () => {
  process.env.SLUICE_BENCH_SOURCE = '1';
  const { buildCases } = await import('../../bench/cases.js');
  const { parseArgs } = await import('../../bench/lib/args.js');
  const cases = await buildCases(parseArgs(['--quick', '--only', 'push']));
  assert.ok(cases.every((c) => c.workload === 'push'));
  const compared = cases.filter((c) => c.peer !== null);
  assert.deepEqual(
    compared.map((c) => c.pair),
    ['sqlite', 'postgres', 'redis'].flatMap((kind) => [
      `${kind} SSE feed vs bullmq QueueEvents`,
      `${kind} webhook vs bullmq QueueEvents`,
    ]),
  );
  assert.ok(compared.every((c) => c.peer?.name === 'bullmq-queue-events'));
  assert.deepEqual(
    cases.filter((c) => c.peer === null).map((c) => c.pair),
    ['sqlite 1000 SSE subscribers (feed)', 'sqlite chat stream, 500 tokens'],
  );
  const redisOnly = await buildCases(parseArgs(['--quick', '--only', 'push:redis']));
  assert.deepEqual(
    redisOnly.map((c) => c.pair),
    ['redis SSE feed vs bullmq QueueEvents', 'redis webhook vs bullmq QueueEvents'],
  );
});
