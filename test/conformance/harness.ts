import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type Backend,
  type CapabilityRoles,
  type ClaimParams,
  type LeaseRef,
  type OptionalCapability,
  withCapability,
} from '../../src/core/backend.js';
import type { SluiceEventMap, SluiceEventName } from '../../src/core/events.js';
import type { ClaimedJob, Job } from '../../src/core/job.js';
import type { JobSpec } from '../../src/core/job-spec.js';
import { type NewJob, type NewJobOptions, toNewJob } from '../../src/core/new-job.js';
import { FakeClock } from '../helpers/fake-clock.js';

/** One backend under test: a fresh, empty storage that the test owns. */
export interface BackendUnderTest {
  backend: Backend;
  /** Opens a second handle on the same storage (another process's view, for racing claimers). */
  openAnother(): Promise<Backend>;
  /** Closes every handle opened for this test and removes its storage. */
  cleanup(): Promise<void>;
  /**
   * Backends with `capabilities.strictOrder: false`: the coarse priority classes the transport keeps
   * in order (RabbitMQ: its AMQP priority buckets). Across claims the suite asserts only that jobs
   * of one queue come out in non-increasing class; within one claim, exact order. Default: the
   * priority itself.
   */
  priorityBucket?: ((priority: number) => number) | undefined;
}

/** Makes a fresh backend on the given clock. Called once per test. */
export type BackendFactory = (ctx: { clock: FakeClock }) => Promise<BackendUnderTest>;

/** What a conformance test gets. */
export interface Ctx {
  backend: Backend;
  clock: FakeClock;
  openAnother(): Promise<Backend>;
  priorityBucket: (priority: number) => number;
}

/** A capability flag a case may need. */
type RequiredFlag = OptionalCapability | 'tenantClaims';

/** What a case needs beyond the required roles. */
export interface CaseOptions {
  /** An optional role the case exercises: on a backend that does not declare it the case is
   * skipped, with the reason in the report (never a silent pass). */
  requires?: RequiredFlag | readonly RequiredFlag[] | undefined;
  /** The case checks how a backend behaves without these roles: on a backend that declares one of
   * them it is skipped, with the reason in the report. */
  lacks?: RequiredFlag | readonly RequiredFlag[] | undefined;
}

/** Why a case does not run on `backend`, or undefined when it does. */
function skipReason(backend: Backend, options: CaseOptions): string | undefined {
  const missing = flags(options.requires).find((flag) => backend.capabilities[flag] !== true);
  if (missing !== undefined) return `the ${backend.name} backend does not declare capabilities.${missing}`;
  const present = flags(options.lacks).find((flag) => backend.capabilities[flag] === true);
  if (present !== undefined) return `the ${backend.name} backend declares capabilities.${present}`;
  return undefined;
}

function flags(option: CaseOptions['requires']): readonly RequiredFlag[] {
  return option === undefined ? [] : [option].flat();
}

/** A `test` whose body gets a fresh backend and a fake clock, cleaned up whatever the outcome. */
export function backendTest(
  factory: BackendFactory,
): (name: string, body: (ctx: Ctx) => Promise<void>, options?: CaseOptions) => void {
  return (name, body, options = {}) => {
    test(name, async (t) => {
      const clock = new FakeClock();
      const under = await factory({ clock });
      try {
        const reason = skipReason(under.backend, options);
        if (reason !== undefined) {
          t.skip(reason);
          return;
        }
        await body({
          backend: under.backend,
          clock,
          openAnother: () => under.openAnother(),
          priorityBucket: under.priorityBucket ?? ((priority) => priority),
        });
      } finally {
        await under.cleanup();
      }
    });
  };
}

export const LEASE_MS = 30_000;

/** The optional role a `requires` case exercises; fails the case when the declared role is missing. */
export function role<C extends OptionalCapability>(backend: Backend, capability: C): CapabilityRoles[C] {
  const found = withCapability(backend, capability);
  assert.ok(found, `the ${backend.name} backend does not declare capabilities.${capability}`);
  return found;
}

/** A valid NewJob; the spec defaults to a `noop` job in the default queue. */
export function newJob(spec: Partial<JobSpec> = {}, options: NewJobOptions = {}): NewJob {
  return toNewJob({ type: 'noop', ...spec }, options);
}

/** Enqueues one job per spec in one call and returns the stored jobs. */
export async function enqueue(backend: Backend, ...specs: Array<Partial<JobSpec>>): Promise<Job[]> {
  const results = await backend.enqueue({ jobs: specs.map((spec) => newJob(spec)) });
  return results.map((r) => r.job);
}

/** Enqueues one job. */
export async function enqueueOne(backend: Backend, spec: Partial<JobSpec> = {}, options: NewJobOptions = {}): Promise<Job> {
  const [result] = await backend.enqueue({ jobs: [newJob(spec, options)] });
  assert.ok(result);
  return result.job;
}

/** Claims with test defaults: queue `default`, limit 10, a 30 s lease, worker `w1`. */
export function claim(backend: Backend, params: Partial<ClaimParams> = {}): Promise<ClaimedJob[]> {
  return backend.claim({ queues: ['default'], limit: 10, leaseMs: LEASE_MS, workerId: 'w1', ...params });
}

/** Claims exactly one job and fails the test otherwise. */
export async function claimOne(backend: Backend, params: Partial<ClaimParams> = {}): Promise<ClaimedJob> {
  const claimed = await claim(backend, { limit: 1, ...params });
  assert.equal(claimed.length, 1, 'expected one claimable job');
  return claimed[0]!;
}

export function leaseOf(job: ClaimedJob): LeaseRef {
  return { id: job.id, leaseToken: job.leaseToken };
}

/** Reads a job that must exist. */
export async function mustGet(backend: Backend, id: string): Promise<Job> {
  const job = await backend.get({ id });
  assert.ok(job, `job ${id} should exist`);
  return job;
}

/** Records every payload of the named events, in order. */
export function recordEvents<K extends SluiceEventName>(
  backend: Backend,
  ...names: K[]
): { events: Array<{ name: K; payload: SluiceEventMap[K] }>; stop(): void } {
  const events: Array<{ name: K; payload: SluiceEventMap[K] }> = [];
  const offs = names.map((name) => backend.events.on(name, (payload) => events.push({ name, payload })));
  return {
    events,
    stop: () => {
      for (const off of offs) off();
    },
  };
}

/** The next `name` event on `backend` whose payload passes `filter` (any, by default). */
export function nextEvent<K extends SluiceEventName>(
  backend: Backend,
  name: K,
  filter: (payload: SluiceEventMap[K]) => boolean = () => true,
): Promise<SluiceEventMap[K]> {
  return new Promise((resolve) => {
    const off = backend.events.on(name, (payload) => {
      if (!filter(payload)) return;
      off();
      resolve(payload);
    });
  });
}

/** Asserts that `promise` rejects with a Sluice error carrying `code` (errors are matched by code). */
export async function rejectsWithCode(
  promise: Promise<unknown>,
  code: string,
): Promise<Error & { code: string; field?: string }> {
  let caught: unknown;
  await assert.rejects(promise, (error: unknown) => {
    caught = error;
    return true;
  });
  assert.equal((caught as { code?: unknown }).code, code, `expected ${code}, got ${String(caught)}`);
  return caught as Error & { code: string; field?: string };
}
