import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { ErrorCodes } from '../../src/core/errors.js';
import type { JobSpec } from '../../src/core/job-spec.js';
import { Sluice } from '../../src/sluice.js';
import { type BackendFactory, backendTest } from './harness.js';

/** `{a: {a: … null}}`, `depth` objects deep. */
function nested(depth: number): unknown {
  let value: unknown = null;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

/**
 * Invariant 6: bad input is refused and changes nothing, and one bad submission never fails
 * another. Through the facade, whose group commit puts concurrent single submissions into one write.
 */
export function badSubmissionsSuite(factory: BackendFactory): void {
  describe('bad submissions', () => {
    const it = backendTest(factory);

    it('among 300 concurrent submissions only the poisoned ones fail', async ({ backend }) => {
      const sluice = Sluice.fromBackend(backend);
      const poisons = new Map<number, { spec: JobSpec; field: string }>([
        [17, { spec: { type: 'noop', input: nested(4200) }, field: `input${'.a'.repeat(64)}` }],
        [150, { spec: { type: 'noop', idempotencyKey: 'order-\u0000-1' }, field: 'idempotencyKey' }],
        [233, { spec: { type: 'noop', input: { text: 'half a pair \uD83D' } }, field: 'input.text' }],
      ]);
      const outcomes = await Promise.allSettled(
        Array.from({ length: 300 }, (_, i) =>
          sluice.enqueue(poisons.get(i)?.spec ?? { type: 'noop', input: i, idempotencyKey: `k-${i}` }, { tenant: `t${i % 3}` }),
        ),
      );
      outcomes.forEach((outcome, i) => {
        const poison = poisons.get(i);
        if (!poison) {
          assert.equal(outcome.status, 'fulfilled', `submission ${i}: ${outcome.status === 'rejected' ? outcome.reason : ''}`);
          return;
        }
        assert.equal(outcome.status, 'rejected', `poison ${i}`);
        const reason = (outcome as PromiseRejectedResult).reason as { code?: string; field?: string };
        assert.equal(reason.code, ErrorCodes.validation);
        assert.equal(reason.field, poison.field);
      });
      const { jobs } = await backend.list({ limit: 1000, include: ['input'] });
      assert.equal(jobs.length, 297);
      assert.deepEqual(
        jobs.map((job) => job.input as number).sort((a, b) => a - b),
        Array.from({ length: 300 }, (_, i) => i).filter((i) => !poisons.has(i)),
      );
    });

    it('keys that differ only in a lone surrogate or a NUL are refused, not merged', async ({ backend }) => {
      const sluice = Sluice.fromBackend(backend);
      await sluice.enqueue({ type: 'noop', idempotencyKey: 'key', input: 'first' });
      for (const key of ['key\uD800', 'key\uDFFF', 'key\u0000']) {
        await assert.rejects(sluice.enqueue({ type: 'noop', idempotencyKey: key, input: 'second' }), {
          code: ErrorCodes.validation,
          field: 'idempotencyKey',
        });
      }
      await assert.rejects(sluice.enqueue({ type: 'noop', queue: 'q\u0000' }), { code: ErrorCodes.validation, field: 'queue' });
      const { jobs } = await backend.list({ limit: 10, include: ['input'] });
      assert.deepEqual(
        jobs.map((job) => job.input),
        ['first'],
      );
    });

    it('times and numbers out of range are refused and nothing is stored', async ({ backend }) => {
      const sluice = Sluice.fromBackend(backend);
      const bad: Array<[JobSpec, string]> = [
        [{ type: 'noop', runAt: 8.64e15 + 1 }, 'runAt'],
        [{ type: 'noop', runAt: Date.now() + 400 * 86_400_000 }, 'runAt'],
        [{ type: 'noop', runAt: '+275760-09-13T00:00:00.001Z' }, 'runAt'],
        [{ type: 'noop', input: { x: Number.POSITIVE_INFINITY } }, 'input.x'],
        [{ type: 'noop', priority: Number.MAX_SAFE_INTEGER + 2 }, 'priority'],
        [{ type: 'noop', delayMs: 2 ** 53 }, 'delayMs'],
      ];
      for (const [spec, field] of bad) {
        await assert.rejects(sluice.enqueue(spec), { code: ErrorCodes.validation, field }, JSON.stringify(spec));
      }
      assert.deepEqual((await backend.list({ limit: 10 })).jobs, []);
    });
  });
}
