import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Measurement } from '../lib/runner.js';
import { startServe } from '../lib/serve-process.js';
import { percentile } from '../lib/stats.js';
import { now, sleep } from '../lib/time.js';

export interface ApiUnderCpuOptions {
  /** CPU-bound jobs submitted at the start (0: the idle baseline). */
  jobs: number;
  /** `factorial` input: 150000! has 711273 digits (≈0.3 s of CPU each, 700 kB of output). */
  n: number;
  /** Sampling time when no jobs run (with jobs: until every job has ended). */
  idleSeconds: number;
  /** Bound on the loaded run. */
  timeoutMs: number;
}

/** Pause between two probes: about 150 probes a second, sequential, so a probe never queues behind another. */
const PROBE_GAP_MS = 5;

interface Answer {
  status: number;
  body: Buffer;
}

function call(agent: Agent, base: string, method: string, path: string, body?: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, base),
      { method, agent, headers: body === undefined ? {} : { 'content-type': 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

async function ok(answer: Promise<Answer>, what: string): Promise<Answer> {
  const a = await answer;
  if (a.status >= 300) throw new Error(`${what}: HTTP ${a.status} ${a.body.toString().slice(0, 200)}`);
  return a;
}

/**
 * Issue 22: how long the API takes to answer while CPU-bound jobs run in the same process. Starts
 * `sluice serve` as `npm start` does (SQLite, embedded workers, default SLUICE_CPU_THREADS), submits
 * `jobs` factorial jobs and long-polls each (`?wait=`, as a client waiting for its result does; the
 * answers, 700 kB each, are drained unparsed), and meanwhile probes `GET /healthz` and `GET
 * /v1/jobs/{id}` of a small finished job, one request at a time, each timed on its own, until every
 * job has ended. With `jobs: 0` it probes an idle server for `idleSeconds` instead.
 */
export async function apiUnderCpu(options: ApiUnderCpuOptions): Promise<Measurement[]> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-api-cpu-'));
  const server = await startServe({ SLUICE_BACKEND: `sqlite:${join(dir, 'api-cpu.db')}` }, join(dir, 'serve.log'));
  const probes = new Agent({ keepAlive: true, maxSockets: 1 });
  const clients = new Agent({ keepAlive: true });
  try {
    const small = JSON.parse(
      (await ok(call(clients, server.url, 'POST', '/v1/jobs', { type: 'noop', input: { x: 1 } }), 'submit noop')).body.toString(),
    ) as { id: string };
    await ok(call(clients, server.url, 'GET', `/v1/jobs/${small.id}?wait=30`), 'wait for noop');
    // Warm up: connections, route code, JIT.
    for (let i = 0; i < 50; i++) await ok(call(probes, server.url, 'GET', '/healthz'), 'healthz');

    let running = true;
    let load: Promise<unknown> = Promise.resolve();
    if (options.jobs > 0) {
      const submitted = await Promise.all(
        Array.from({ length: options.jobs }, () =>
          ok(call(clients, server.url, 'POST', '/v1/jobs', { type: 'factorial', input: { n: options.n } }), 'submit factorial'),
        ),
      );
      const ids = submitted.map((a) => (JSON.parse(a.body.toString()) as { id: string }).id);
      load = Promise.all(
        ids.map(async (id) => {
          // ?wait= is capped by SLUICE_MAX_WAIT_SECONDS (60): poll again until the job has ended.
          for (;;) {
            const answer = await ok(call(clients, server.url, 'GET', `/v1/jobs/${id}?wait=30`), 'wait');
            if (answer.body.includes('"status":"succeeded"')) return;
            if (/"status":"(failed|cancelled)"/.test(answer.body.toString('latin1', 0, 4096)))
              throw new Error(`factorial job ${id} did not succeed`);
          }
        }),
      ).finally(() => {
        running = false;
      });
    } else {
      setTimeout(() => {
        running = false;
      }, options.idleSeconds * 1000);
    }

    const health: number[] = [];
    const job: number[] = [];
    const probing = (async () => {
      for (let i = 0; running; i++) {
        const [path, samples] = i % 2 === 0 ? ['/healthz', health] : [`/v1/jobs/${small.id}`, job];
        const started = now();
        await ok(call(probes, server.url, 'GET', path as string), path as string);
        (samples as number[]).push(now() - started);
        await sleep(PROBE_GAP_MS);
      }
    })();
    await Promise.all([load, probing]);

    health.sort((a, b) => a - b);
    job.sort((a, b) => a - b);
    const ms = (metric: string, value: number): Measurement => ({ metric, unit: 'ms', better: 'lower', value });
    return [
      ms('GET /healthz p50', percentile(health, 50)),
      ms('GET /healthz p95', percentile(health, 95)),
      ms('GET /healthz p99', percentile(health, 99)),
      ms('GET /healthz max', health.at(-1) ?? Number.NaN),
      ms('GET /v1/jobs/{id} p99', percentile(job, 99)),
      { metric: 'probes', unit: 'requests', better: 'higher', value: health.length + job.length },
    ];
  } finally {
    probes.destroy();
    clients.destroy();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
