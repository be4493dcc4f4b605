import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type CallRecord, type EffectRecord, type FinalJob, type History, judge, violations } from './history.js';

const ack = (key: string, jobId: string, status = 202): CallRecord => ({
  key,
  spec: { type: 'chaos.effect' },
  startedAt: 0,
  endedAt: 5,
  outcome: 'acked',
  status,
  jobId,
});
const effect = (jobId: string, attempt: number, leaseToken = `lease-${jobId}-${attempt}`): EffectRecord => ({
  jobId,
  attempt,
  leaseToken,
  pid: 1,
});
const succeeded = (id: string, attempts: number, key: string, outputAttempt = attempts): FinalJob => ({
  id,
  status: 'succeeded',
  attempts,
  output: { attempt: outputAttempt, leaseToken: `lease-${id}-${outputAttempt}` },
  idempotencyKey: key,
});

function history(parts: Partial<History>): History {
  const finals = parts.finals ?? new Map();
  return {
    calls: [],
    effects: [],
    finals,
    stored: parts.stored ?? [...finals.values()],
    expected: new Map(),
    ...parts,
  };
}

describe('history checker', () => {
  test('a clean run (one retry of a job whose first attempt died) has no violation and counts the re-run', () => {
    const verdict = judge(
      history({
        calls: [{ ...ack('k1', 'j1'), outcome: 'error' }, ack('k1', 'j1', 200), ack('k2', 'j2')],
        effects: [effect('j1', 1), effect('j1', 2), effect('j2', 1)],
        finals: new Map([
          ['j1', succeeded('j1', 2, 'k1')],
          ['j2', succeeded('j2', 1, 'k2')],
        ]),
      }),
    );
    assert.equal(violations(verdict), 0, verdict.details.join('\n'));
    assert.equal(verdict.acked, 2);
    assert.equal(verdict.duplicatesPermitted, 1);
    assert.equal(verdict.retried, 1);
  });

  test('flags an acknowledged job the store does not have as lost', () => {
    const verdict = judge(history({ calls: [ack('k1', 'j1')] }));
    assert.equal(verdict.lost, 1);
    assert.match(verdict.details[0]!, /lost: job j1/);
  });

  test('flags a job that has not ended after the bound as stuck', () => {
    const verdict = judge(
      history({
        calls: [ack('k1', 'j1')],
        finals: new Map([['j1', { id: 'j1', status: 'running', attempts: 1 }]]),
      }),
    );
    assert.equal(verdict.stuck, 1);
  });

  test('flags a succeeded job whose output came from an earlier (stale) attempt', () => {
    const verdict = judge(
      history({
        calls: [ack('k1', 'j1')],
        effects: [effect('j1', 1), effect('j1', 2)],
        finals: new Map([['j1', succeeded('j1', 2, 'k1', 1)]]),
      }),
    );
    assert.equal(verdict.stale, 1);
  });

  test('flags an output no logged execution produced (a write by an unknown lease) as stale', () => {
    const verdict = judge(
      history({
        calls: [ack('k1', 'j1')],
        effects: [effect('j1', 1, 'another-lease')],
        finals: new Map([['j1', succeeded('j1', 1, 'k1')]]),
      }),
    );
    assert.equal(verdict.stale, 1);
  });

  test('flags a run after success and the same attempt run twice as duplicates beyond at-least-once', () => {
    const verdict = judge(
      history({
        calls: [ack('k1', 'j1'), ack('k2', 'j2')],
        effects: [effect('j1', 1), effect('j1', 2), effect('j2', 1), effect('j2', 1, 'second-lease')],
        finals: new Map([
          ['j1', succeeded('j1', 1, 'k1')],
          ['j2', succeeded('j2', 1, 'k2')],
        ]),
      }),
    );
    assert.equal(verdict.duplicates, 2, verdict.details.join('\n'));
    assert.equal(verdict.duplicatesPermitted, 0);
  });

  test('flags one idempotency key acknowledged with two job ids, and one that made two stored jobs', () => {
    const verdict = judge(
      history({
        calls: [ack('k1', 'j1'), ack('k1', 'j2'), ack('k2', 'j3')],
        effects: [effect('j1', 1), effect('j2', 1), effect('j3', 1)],
        finals: new Map([
          ['j1', succeeded('j1', 1, 'k1')],
          ['j2', succeeded('j2', 1, 'k1')],
          ['j3', succeeded('j3', 1, 'k2')],
        ]),
        stored: [succeeded('j1', 1, 'k1'), succeeded('j2', 1, 'k1'), succeeded('j3', 1, 'k2'), succeeded('j4', 1, 'k2')],
      }),
    );
    assert.equal(verdict.duplicates, 2, verdict.details.join('\n'));
  });

  test('flags a call that never answered as hung', () => {
    const verdict = judge(history({ calls: [{ ...ack('k1', 'j1'), outcome: 'hung', endedAt: 10_000 }] }));
    assert.equal(verdict.hung, 1);
    assert.equal(verdict.acked, 0);
  });

  test('flags an answer of 500 and counts a 503 without flagging it', () => {
    const verdict = judge(
      history({
        calls: [
          { ...ack('k1', 'j1'), outcome: 'answered', status: 500 },
          { ...ack('k1', 'j1'), outcome: 'answered', status: 503 },
        ],
      }),
    );
    assert.equal(verdict.serverErrors, 1);
    assert.equal(verdict.unavailable, 1);
    assert.equal(violations(verdict), 1);
  });

  test('flags a poison job that succeeded and a normal job that failed as wrong ends', () => {
    const verdict = judge(
      history({
        calls: [ack('poison', 'j1'), ack('normal', 'j2')],
        effects: [effect('j1', 1)],
        finals: new Map([
          ['j1', succeeded('j1', 1, 'poison')],
          ['j2', { id: 'j2', status: 'failed', attempts: 3 }],
        ]),
        expected: new Map([['poison', 'failed']]),
      }),
    );
    assert.equal(verdict.wrongEnd, 2);
  });
});
