import type { JobJson } from '../../src/core/job-json.js';

/** Minimal JSON helpers for tests that talk to a spawned server over real HTTP. */
export async function postJob(url: string, spec: unknown): Promise<JobJson> {
  const res = await fetch(`${url}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(spec),
  });
  if (res.status !== 202) throw new Error(`POST /v1/jobs answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as JobJson;
}

export async function getJob(url: string, id: string, waitSeconds?: number): Promise<JobJson> {
  const res = await fetch(`${url}/v1/jobs/${id}${waitSeconds ? `?wait=${waitSeconds}` : ''}`);
  if (res.status !== 200) throw new Error(`GET /v1/jobs/${id} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as JobJson;
}

/** Long-polls until the job ends (each poll at most 30 s). */
export async function waitForEnd(url: string, id: string, timeoutMs = 120_000): Promise<JobJson> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await getJob(url, id, 30);
    if (['succeeded', 'failed', 'cancelled'].includes(job.status)) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${job.status} after ${timeoutMs} ms`);
  }
}
