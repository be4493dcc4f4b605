/**
 * The one history checker of the chaos suite. A run records what the client was told (every call:
 * the spec it sent, its idempotency key, the answer or that it hung), what each execution of a
 * handler did (its effect: job id, attempt, lease token) and each job's final state as the store
 * reports it after the faults end. `judge` turns that into the counts the report prints; every
 * count but `duplicatesPermitted` and `acked` is a violation.
 */

/** One HTTP call the client made. A logical submission (one idempotency key) may take several. */
export interface CallRecord {
  key: string;
  spec: unknown;
  startedAt: number;
  endedAt: number;
  /** `acked`: 202 or 200 with a job id; `answered`: any other status; `error`: the connection failed;
   * `hung`: no answer within the client's bound (the call was aborted). */
  outcome: 'acked' | 'answered' | 'error' | 'hung';
  status?: number;
  jobId?: string;
}

/** One run of the effect handler, appended by the worker process before it returns. */
export interface EffectRecord {
  jobId: string;
  attempt: number;
  leaseToken: string;
  pid: number;
}

/** What the store says about a job once the faults are over and the bound has passed. */
export interface FinalJob {
  id: string;
  status: string;
  attempts: number;
  /** The effect handler returns the attempt and lease token that produced the output. */
  output?: { attempt?: number; leaseToken?: string } | null;
  idempotencyKey?: string;
}

/** How a submission (by idempotency key) should end: a poison job ends `failed`. */
export type Expectation = 'succeeded' | 'failed';

export interface History {
  calls: CallRecord[];
  effects: EffectRecord[];
  /** Final state by job id, for every acknowledged id; an id the store does not know is absent. */
  finals: Map<string, FinalJob>;
  /** Every job the store holds for this run (a listing), to find a key that made two jobs. */
  stored: FinalJob[];
  expected: Map<string, Expectation>;
}

export interface Verdict {
  acked: number;
  /** Acknowledged, then not found. */
  lost: number;
  /** A succeeded job whose output was written by an attempt other than its last. */
  stale: number;
  /** Acknowledged, not ended after the bound. */
  stuck: number;
  /** Ended otherwise than expected (a normal job failed, a poison job succeeded). */
  wrongEnd: number;
  /** Executions beyond what at-least-once allows: after the job succeeded, the same attempt twice,
   * or a second job for one idempotency key. */
  duplicates: number;
  /** Re-executions at-least-once allows (an attempt that died or lost its lease): counted only. */
  duplicatesPermitted: number;
  hung: number;
  /** Answers of 500 or more other than 503: a fault must give SLUICE_BACKEND_UNAVAILABLE (503). */
  serverErrors: number;
  /** 503 answers (counted only: the API said it could not store the job, and the client retried). */
  unavailable: number;
  /** Acknowledged jobs that took more than one attempt (shows the fault reached the jobs). */
  retried: number;
  /** One line per violation, for the report. */
  details: string[];
}

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

export function judge(history: History): Verdict {
  const details: string[] = [];
  const idsByKey = new Map<string, Set<string>>();
  let hung = 0;
  let serverErrors = 0;
  let unavailable = 0;
  for (const call of history.calls) {
    if (call.status === 503) unavailable++;
    else if (call.status !== undefined && call.status >= 500) {
      serverErrors++;
      details.push(`server error: call for key ${call.key} answered ${call.status}`);
    }
    if (call.outcome === 'hung') {
      hung++;
      details.push(`hung: call for key ${call.key} gave no answer in ${call.endedAt - call.startedAt} ms`);
    }
    if (call.outcome === 'acked' && call.jobId !== undefined) {
      const ids = idsByKey.get(call.key) ?? new Set<string>();
      ids.add(call.jobId);
      idsByKey.set(call.key, ids);
    }
  }

  let duplicates = 0;
  for (const [key, ids] of idsByKey) {
    if (ids.size > 1) {
      duplicates += ids.size - 1;
      details.push(`duplicate: key ${key} was acknowledged with ${ids.size} job ids`);
    }
  }
  const storedByKey = new Map<string, string[]>();
  for (const job of history.stored) {
    const key = job.idempotencyKey;
    if (key === undefined) continue;
    storedByKey.set(key, [...(storedByKey.get(key) ?? []), job.id]);
  }
  for (const [key, ids] of storedByKey) {
    const acked = idsByKey.get(key)?.size ?? 0;
    if (ids.length > 1 && ids.length > acked) {
      duplicates += ids.length - Math.max(acked, 1);
      details.push(`duplicate: key ${key} made ${ids.length} stored jobs`);
    }
  }

  let lost = 0;
  let stuck = 0;
  let wrongEnd = 0;
  let stale = 0;
  const ackedIds = new Map<string, string>();
  for (const [key, ids] of idsByKey) for (const id of ids) ackedIds.set(id, key);
  const effectsByJob = groupEffects(history.effects);
  let duplicatesPermitted = 0;
  let retried = 0;

  for (const [id, key] of ackedIds) {
    const job = history.finals.get(id);
    if (job === undefined) {
      lost++;
      details.push(`lost: job ${id} (key ${key}) was acknowledged and is not in the store`);
      continue;
    }
    if (!TERMINAL.has(job.status)) {
      stuck++;
      details.push(`stuck: job ${id} is still ${job.status} after the bound`);
      continue;
    }
    const expected = history.expected.get(key) ?? 'succeeded';
    if (job.status !== expected) {
      wrongEnd++;
      details.push(`wrong end: job ${id} ended ${job.status}, expected ${expected}`);
    }
    const effects = effectsByJob.get(id) ?? [];
    if (job.attempts > 1) retried++;
    if (job.status === 'succeeded') {
      const writer = effects.find((e) => e.attempt === job.output?.attempt && e.leaseToken === job.output?.leaseToken);
      if (job.output?.attempt !== job.attempts || writer === undefined) {
        stale++;
        details.push(
          `stale: job ${id} succeeded at attempt ${job.attempts} with the output of attempt ${job.output?.attempt ?? '?'}`,
        );
      }
    }
    const seenAttempts = new Set<number>();
    for (const effect of effects) {
      if (job.status === 'succeeded' && effect.attempt > job.attempts) {
        duplicates++;
        details.push(`duplicate: job ${id} ran again (attempt ${effect.attempt}) after it succeeded at ${job.attempts}`);
      } else if (seenAttempts.has(effect.attempt)) {
        duplicates++;
        details.push(`duplicate: job ${id} ran attempt ${effect.attempt} twice`);
      } else if (seenAttempts.size > 0) {
        duplicatesPermitted++;
      }
      seenAttempts.add(effect.attempt);
    }
  }

  return {
    acked: ackedIds.size,
    lost,
    stale,
    stuck,
    wrongEnd,
    duplicates,
    duplicatesPermitted,
    hung,
    serverErrors,
    unavailable,
    retried,
    details,
  };
}

/** The violation counts of a verdict, summed: 0 means the run passed. */
export function violations(verdict: Verdict): number {
  return (
    verdict.lost + verdict.stale + verdict.stuck + verdict.wrongEnd + verdict.duplicates + verdict.hung + verdict.serverErrors
  );
}

function groupEffects(effects: EffectRecord[]): Map<string, EffectRecord[]> {
  const byJob = new Map<string, EffectRecord[]>();
  for (const effect of effects) byJob.set(effect.jobId, [...(byJob.get(effect.jobId) ?? []), effect]);
  return byJob;
}
