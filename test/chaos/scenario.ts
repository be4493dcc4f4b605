import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BackendName, setUpBackend } from './backends.js';
import { listQueue, readFinals, submitAll } from './chaos-client.js';
import { type ChaosRun, effectJobs, type Fault } from './fault.js';
import { type CallRecord, type EffectRecord, type Expectation, judge, type Verdict } from './history.js';
import { ApiProcess, freePort, WorkerPool } from './processes.js';

export interface ScenarioOptions {
  jobs: number;
  workers: number;
  /** How long after the faults end every acknowledged job must have ended. */
  boundMs: number;
}

export interface ScenarioResult {
  backend: BackendName;
  fault: string;
  verdict: Verdict;
  durationMs: number;
  /** Set when the scenario could not run to its verdict (set-up failed, a fault threw). */
  error?: string;
  notes: string[];
}

const LEASE_MS = 2000;

/**
 * Runs one fault against one backend with real processes: an API (`sluice serve --workers 0`) and
 * a pool of chaos workers, every one of them talking to the services through the backend's proxies.
 * The client submits with idempotency keys while the fault acts; once the fault is healed and the
 * client done, every acknowledged job is read until it ends (or the bound passes), and the history
 * checker judges the run.
 */
export async function runScenario(backendName: BackendName, fault: Fault, options: ScenarioOptions): Promise<ScenarioResult> {
  const started = Date.now();
  const phase = (what: string) => {
    if (process.env.CHAOS_DEBUG)
      process.stderr.write(`  ${backendName} / ${fault.name}: ${what} at ${Date.now() - started} ms\n`);
  };
  const notes: string[] = [];
  const calls: CallRecord[] = [];
  const effectsFile = join(tmpdir(), `sluice-chaos-effects-${randomUUID()}.jsonl`);
  const backend = await setUpBackend(backendName);
  const env = {
    ...backend.env,
    CHAOS_EFFECTS: effectsFile,
    SLUICE_LEASE_MS: String(LEASE_MS),
    SLUICE_REAPER_INTERVAL_MS: '200',
    SLUICE_POLL_INTERVAL_MS: '50',
    SLUICE_CONCURRENCY: '4',
    SLUICE_SHUTDOWN_GRACE_MS: '2000',
  };
  const api = new ApiProcess(env, await freePort());
  const workers = new WorkerPool(env, options.workers);
  try {
    await Promise.all([api.start(), workers.start()]);
    const submissions = (fault.submissions ?? effectJobs)(options.jobs).map((s, i) => ({
      key: `chaos-${i}-${randomUUID()}`,
      ...s,
    }));
    const expected = new Map<string, Expectation>(submissions.map((s) => [s.key, s.expect]));
    const done = new AbortController();
    const submitted = submitAll(
      submissions,
      { url: () => api.url, callTimeoutMs: 10_000, giveUpAfterMs: 30_000, concurrency: 8, stopAt: Date.now() + 60_000 },
      calls,
    ).finally(() => done.abort());
    const run: ChaosRun = {
      backend,
      api,
      workers,
      leaseMs: LEASE_MS,
      submitted,
      submitting: done.signal,
      note: (line) => notes.push(line),
    };
    phase('started');
    await Promise.all([submitted, fault.inject(run)]);
    phase('faults over');
    const ids = calls.flatMap((c) => (c.outcome === 'acked' && c.jobId ? [c.jobId] : []));
    const finals = await readFinals(() => api.url, ids, options.boundMs, calls);
    phase('jobs ended');
    const stored = await listQueue(api.url, 'default');
    const effects = readEffects(effectsFile);
    const verdict = judge({ calls, effects, finals, stored, expected });
    return { backend: backendName, fault: fault.name, verdict, durationMs: Date.now() - started, notes };
  } catch (error) {
    // The run did not reach its reads: judge only the calls that did not end in an acknowledgement
    // (hung, 5xx), so that the acknowledged jobs are not counted lost for want of a read.
    const unacked = calls.filter((c) => c.outcome !== 'acked');
    // What the API said last (it may have died): the first thing to read when a run errors.
    for (const line of api.proc?.lines.slice(-8) ?? []) notes.push(`api: ${line.slice(0, 400)}`);
    const verdict = judge({ calls: unacked, effects: [], finals: new Map(), stored: [], expected: new Map() });
    return {
      backend: backendName,
      fault: fault.name,
      verdict,
      durationMs: Date.now() - started,
      error: (error as Error).stack ?? String(error),
      notes,
    };
  } finally {
    await workers.stop();
    await api.stop();
    await backend.cleanup().catch((error) => notes.push(`cleanup failed: ${(error as Error).message}`));
    rmSync(effectsFile, { force: true });
  }
}

function readEffects(file: string): EffectRecord[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as EffectRecord);
}
