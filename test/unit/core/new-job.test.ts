import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCodes } from '../../../src/core/errors.js';
import { isJobId } from '../../../src/core/ids.js';
import { bulkSpecSchema, DEFAULT_BACKOFF, jobSpecSchema, LIMITS } from '../../../src/core/job-spec.js';
import { toNewJob } from '../../../src/core/new-job.js';
import { parseOrThrow } from '../../../src/core/validate.js';

/** Asserts that toNewJob rejects `spec` with a ValidationError naming `field`. */
function assertRejected(spec: unknown, field: string | undefined, message?: RegExp, prefix = ''): void {
  assert.throws(
    () => toNewJob(spec, {}, prefix),
    (error: unknown) => {
      const e = error as { code?: string; field?: string; message: string };
      assert.equal(e.code, ErrorCodes.validation);
      assert.equal(e.field, field, `field of: ${e.message}`);
      if (message) assert.match(e.message, message);
      return true;
    },
  );
}

describe('toNewJob', () => {
  test('fills in the defaults', () => {
    const job = toNewJob({ type: 'math', input: { question: 'What is 50 divided by 2?' } });
    assert.ok(isJobId(job.id));
    assert.deepEqual(
      { ...job, id: 'x' },
      {
        id: 'x',
        type: 'math',
        queue: 'default',
        input: { question: 'What is 50 divided by 2?' },
        inputJson: '{"question":"What is 50 divided by 2?"}',
        priority: 0,
        maxAttempts: 3,
        backoff: DEFAULT_BACKOFF,
      },
    );
    // No optional keys set to undefined (exactOptionalPropertyTypes; adapters may spread the job).
    for (const key of ['runAt', 'delayMs', 'timeoutMs', 'idempotencyKey', 'metadata', 'tenant']) {
      assert.equal(key in job, false, key);
    }
  });

  test('a missing input is stored as null', () => {
    assert.equal(toNewJob({ type: 'noop' }).input, null);
  });

  test('each job gets its own, increasing id', () => {
    const a = toNewJob({ type: 'noop' });
    const b = toNewJob({ type: 'noop' });
    assert.notEqual(a.id, b.id);
  });

  test('keeps every given field', () => {
    const job = toNewJob({
      type: 'factorial',
      input: { n: 5 },
      queue: 'cpu',
      priority: 10,
      delayMs: 5000,
      maxAttempts: 7,
      timeoutMs: 60_000,
      idempotencyKey: 'k-1',
      metadata: { user: 'u1' },
    });
    assert.equal(job.queue, 'cpu');
    assert.equal(job.priority, 10);
    assert.equal(job.delayMs, 5000);
    assert.equal(job.maxAttempts, 7);
    assert.equal(job.timeoutMs, 60_000);
    assert.equal(job.idempotencyKey, 'k-1');
    assert.deepEqual(job.metadata, { user: 'u1' });
  });

  test('runAt as ISO 8601 or epoch ms becomes epoch ms', () => {
    assert.equal(toNewJob({ type: 'noop', runAt: '2030-01-01T00:00:00Z' }).runAt, Date.UTC(2030, 0, 1));
    assert.equal(toNewJob({ type: 'noop', runAt: '2030-01-01T01:00:00+01:00' }).runAt, Date.UTC(2030, 0, 1));
    assert.equal(toNewJob({ type: 'noop', runAt: 1_900_000_000_000 }).runAt, 1_900_000_000_000);
  });

  test('an absolute runAt is bounded by a year either side of the given now', () => {
    const now = Date.UTC(2026, 0, 1);
    const year = LIMITS.maxDelayMs;
    assert.equal(toNewJob({ type: 'noop', runAt: now + year }, { now }).runAt, now + year);
    assert.equal(toNewJob({ type: 'noop', runAt: now - year }, { now }).runAt, now - year);
    assert.throws(() => toNewJob({ type: 'noop', runAt: now + year + 1 }, { now }), {
      code: ErrorCodes.validation,
      field: 'runAt',
    });
    assert.throws(() => toNewJob({ type: 'noop', runAt: now - year - 1 }, { now }), {
      code: ErrorCodes.validation,
      field: 'runAt',
    });
  });

  test('input and metadata are serialised once, with the job', () => {
    const job = toNewJob({ type: 'noop', input: { a: [1, 'é😀'], skip: undefined }, metadata: { k: 'v' } });
    assert.equal(job.inputJson, '{"a":[1,"é😀"]}');
    assert.equal(job.metadataJson, '{"k":"v"}');
    assert.equal(toNewJob({ type: 'noop' }).inputJson, 'null');
  });

  test('a partial backoff is merged over the default', () => {
    assert.deepEqual(toNewJob({ type: 'noop', backoff: { type: 'fixed', delayMs: 250 } }).backoff, {
      ...DEFAULT_BACKOFF,
      type: 'fixed',
      delayMs: 250,
    });
    assert.deepEqual(toNewJob({ type: 'noop', backoff: { jitter: 'none' } }).backoff, { ...DEFAULT_BACKOFF, jitter: 'none' });
  });

  test('the idempotency key may come from outside the body; the body wins', () => {
    assert.equal(toNewJob({ type: 'noop' }, { idempotencyKey: 'header' }).idempotencyKey, 'header');
    assert.equal(toNewJob({ type: 'noop', idempotencyKey: 'body' }, { idempotencyKey: 'header' }).idempotencyKey, 'body');
  });

  test('the tenant comes from the options only', () => {
    assert.equal(toNewJob({ type: 'noop' }, { tenant: 't1' }).tenant, 't1');
    assertRejected({ type: 'noop', tenant: 't1' }, 'tenant', /unknown field/);
  });

  test('limits are accepted at the edges', () => {
    assert.equal(toNewJob({ type: 'noop', priority: LIMITS.priorityMin }).priority, -1000);
    assert.equal(toNewJob({ type: 'noop', priority: LIMITS.priorityMax }).priority, 1000);
    assert.equal(toNewJob({ type: 'noop', maxAttempts: LIMITS.maxAttempts }).maxAttempts, 100);
    assert.equal(toNewJob({ type: 'a'.repeat(LIMITS.nameMax) }).type.length, 128);
    assert.equal(toNewJob({ type: 'openai:chat.v1_x-y' }).type, 'openai:chat.v1_x-y');
  });

  describe('names the bad field in the ValidationError', () => {
    const cases: Array<[label: string, spec: unknown, field: string | undefined, message?: RegExp]> = [
      ['type missing', { input: {} }, 'type'],
      ['type not a string', { type: 7 }, 'type'],
      ['type empty', { type: '' }, 'type'],
      ['type with a space', { type: 'bad type' }, 'type', /letters, digits/],
      ['type too long', { type: 'a'.repeat(LIMITS.nameMax + 1) }, 'type'],
      ['queue with a slash', { type: 'noop', queue: 'a/b' }, 'queue'],
      ['priority above range', { type: 'noop', priority: 1001 }, 'priority'],
      ['priority below range', { type: 'noop', priority: -1001 }, 'priority'],
      ['priority not an integer', { type: 'noop', priority: 1.5 }, 'priority'],
      ['priority a string', { type: 'noop', priority: '5' }, 'priority'],
      ['delayMs and runAt both', { type: 'noop', delayMs: 10, runAt: 1_900_000_000_000 }, 'runAt', /delayMs or runAt/],
      ['delayMs negative', { type: 'noop', delayMs: -1 }, 'delayMs'],
      ['delayMs beyond a year', { type: 'noop', delayMs: LIMITS.maxDelayMs + 1 }, 'delayMs'],
      ['runAt not a date', { type: 'noop', runAt: 'tomorrow' }, 'runAt'],
      ['runAt negative', { type: 'noop', runAt: -5 }, 'runAt'],
      ['runAt beyond a Date', { type: 'noop', runAt: 8.64e15 + 1 }, 'runAt'],
      ['runAt on a day that does not exist', { type: 'noop', runAt: '2030-02-30T00:00:00Z' }, 'runAt'],
      ['input nested too deep', { type: 'noop', input: [[[[nestedArrays(70)]]]] }, `input${'.0'.repeat(64)}`],
      ['an object with too many keys', { type: 'noop', input: { m: manyKeys(1001) } }, 'input.m'],
      ['too many values in all', { type: 'noop', input: Array.from({ length: 200 }, () => manyKeys(600)) }, 'input'],
      ['a non-finite number', { type: 'noop', input: { x: Number.POSITIVE_INFINITY } }, 'input.x'],
      ['NaN', { type: 'noop', metadata: { x: Number.NaN } }, 'metadata.x'],
      ['a bigint', { type: 'noop', input: { x: 1n } }, 'input.x'],
      ['NUL in an input string', { type: 'noop', input: 'a\u0000' }, 'input'],
      ['a lone surrogate in a metadata value', { type: 'noop', metadata: { k: '\uD83D' } }, 'metadata.k'],
      ['NUL in the idempotency key', { type: 'noop', idempotencyKey: '\u0000' }, 'idempotencyKey'],
      ['maxAttempts 0', { type: 'noop', maxAttempts: 0 }, 'maxAttempts'],
      ['maxAttempts too many', { type: 'noop', maxAttempts: 101 }, 'maxAttempts'],
      ['timeoutMs 0', { type: 'noop', timeoutMs: 0 }, 'timeoutMs'],
      ['timeoutMs beyond a day', { type: 'noop', timeoutMs: LIMITS.maxTimeoutMs + 1 }, 'timeoutMs'],
      ['backoff type unknown', { type: 'noop', backoff: { type: 'linear' } }, 'backoff.type'],
      ['backoff delay negative', { type: 'noop', backoff: { delayMs: -1 } }, 'backoff.delayMs'],
      ['backoff jitter unknown', { type: 'noop', backoff: { jitter: 'half' } }, 'backoff.jitter'],
      ['backoff unknown field', { type: 'noop', backoff: { factor: 3 } }, 'backoff.factor', /unknown field "backoff.factor"/],
      ['backoff not an object', { type: 'noop', backoff: 'exponential' }, 'backoff'],
      ['idempotencyKey empty', { type: 'noop', idempotencyKey: '' }, 'idempotencyKey'],
      ['idempotencyKey too long', { type: 'noop', idempotencyKey: 'k'.repeat(256) }, 'idempotencyKey'],
      ['metadata not an object', { type: 'noop', metadata: [1, 2] }, 'metadata'],
      ['unknown field', { type: 'noop', colour: 'red' }, 'colour', /unknown field "colour"/],
    ];
    for (const [label, spec, field, message] of cases) {
      test(label, () => assertRejected(spec, field, message));
    }

    test('a spec that is not an object names no field', () => {
      for (const spec of [null, 'math', 42, [1]]) assertRejected(spec, undefined);
    });

    test('a field prefix locates the job inside a bulk request', () => {
      assertRejected({ type: 'noop', priority: 5000 }, 'jobs.3.priority', /^jobs\.3\.priority: /, 'jobs.3');
      assertRejected({ type: 'noop', colour: 'red' }, 'jobs.3.colour', /unknown field "jobs\.3\.colour"/, 'jobs.3');
    });
  });
});

describe('jobSpecSchema and bulkSpecSchema', () => {
  test('the schema accepts the seed job as it is', () => {
    assert.ok(jobSpecSchema.safeParse({ type: 'math', input: { question: 'What is 50 divided by 2?' } }).success);
  });

  test('input may be any JSON', () => {
    for (const input of [null, 1, 'text', [1, 2], { deep: { x: [true] } }]) {
      assert.ok(jobSpecSchema.safeParse({ type: 'noop', input }).success, JSON.stringify(input));
    }
  });

  test('a bulk request holds 1 to bulkMax jobs, and names the bad one', () => {
    assert.ok(bulkSpecSchema.safeParse({ jobs: [{ type: 'noop' }] }).success);
    assert.equal(bulkSpecSchema.safeParse({ jobs: [] }).success, false);
    const tooMany = { jobs: Array.from({ length: LIMITS.bulkMax + 1 }, () => ({ type: 'noop' })) };
    assert.equal(bulkSpecSchema.safeParse(tooMany).success, false);
    assert.throws(
      () => parseOrThrow(bulkSpecSchema, { jobs: [{ type: 'noop' }, { type: 'noop', priority: 'high' }] }),
      (error: unknown) => (error as { field?: string }).field === 'jobs.1.priority',
    );
  });
});

function nestedArrays(depth: number): unknown {
  let value: unknown = 0;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

function manyKeys(count: number): Record<string, number> {
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, i]));
}
