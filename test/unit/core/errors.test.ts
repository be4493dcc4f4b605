import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ConflictError,
  ErrorCodes,
  errorFromJson,
  hasErrorCode,
  isSluiceError,
  LeaseLostError,
  NotFoundError,
  PermanentError,
  RateLimitedError,
  SluiceError,
  ValidationError,
} from '../../../src/core/errors.js';

describe('error codes', () => {
  test('are unique, stable strings starting with SLUICE_', () => {
    const codes = Object.values(ErrorCodes);
    assert.equal(new Set(codes).size, codes.length);
    for (const code of codes) assert.match(code, /^SLUICE_[A-Z_]+$/);
    assert.equal(ErrorCodes.notFound, 'SLUICE_NOT_FOUND');
    assert.equal(ErrorCodes.leaseLost, 'SLUICE_LEASE_LOST');
    assert.equal(ErrorCodes.permanent, 'SLUICE_PERMANENT');
    assert.equal(ErrorCodes.validation, 'SLUICE_VALIDATION');
  });

  const cases: Array<[SluiceError, string, string]> = [
    [new ValidationError('bad', 'priority'), ErrorCodes.validation, 'ValidationError'],
    [new NotFoundError('no job'), ErrorCodes.notFound, 'NotFoundError'],
    [new ConflictError('already finished'), ErrorCodes.conflict, 'ConflictError'],
    [new LeaseLostError('job-1'), ErrorCodes.leaseLost, 'LeaseLostError'],
    [new PermanentError('bad input'), ErrorCodes.permanent, 'PermanentError'],
    [new RateLimitedError('429', 1000), ErrorCodes.rateLimited, 'RateLimitedError'],
  ];
  for (const [error, code, name] of cases) {
    test(`${name} carries ${code}`, () => {
      assert.equal(error.code, code);
      assert.equal(error.name, name);
      assert.ok(error instanceof SluiceError);
      assert.ok(error instanceof Error);
      assert.ok(hasErrorCode(error, code));
      assert.ok(isSluiceError(error));
    });
  }

  test('LeaseLostError names the job', () => {
    assert.match(new LeaseLostError('job-42').message, /job-42/);
  });

  test('RateLimitedError keeps retryAfterMs, never negative', () => {
    assert.equal(new RateLimitedError('429', 1500).retryAfterMs, 1500);
    assert.equal(new RateLimitedError('429', -1).retryAfterMs, 0);
  });

  test('the cause is kept', () => {
    const cause = new Error('driver said no');
    assert.equal(new PermanentError('wrapped', { cause }).cause, cause);
    assert.equal(new SluiceError(ErrorCodes.internal, 'no cause').cause, undefined);
  });
});

describe('toJSON', () => {
  test('code and message, plus field when there is one', () => {
    assert.deepEqual(new NotFoundError('job x not found').toJSON(), { code: 'SLUICE_NOT_FOUND', message: 'job x not found' });
    assert.deepEqual(new ValidationError('priority: too big', 'priority').toJSON(), {
      code: 'SLUICE_VALIDATION',
      message: 'priority: too big',
      field: 'priority',
    });
  });

  test('JSON.stringify uses it (no stack, no cause)', () => {
    const error = new PermanentError('bad', { field: 'input.n', cause: new Error('inner') });
    assert.deepEqual(JSON.parse(JSON.stringify(error)), { code: 'SLUICE_PERMANENT', message: 'bad', field: 'input.n' });
  });

  test('errorFromJson rebuilds an error that is recognised by code', () => {
    const rebuilt = errorFromJson(new ValidationError('bad', 'type').toJSON());
    assert.ok(hasErrorCode(rebuilt, ErrorCodes.validation));
    assert.equal(rebuilt.field, 'type');
    assert.equal(rebuilt.message, 'bad');
    assert.deepEqual(rebuilt.toJSON(), { code: 'SLUICE_VALIDATION', message: 'bad', field: 'type' });
  });
});

describe('hasErrorCode and isSluiceError', () => {
  test('recognise plain objects by code (errors crossing processes)', () => {
    assert.ok(hasErrorCode({ code: 'SLUICE_NOT_FOUND', message: 'x' }, ErrorCodes.notFound));
    assert.ok(isSluiceError({ code: 'SLUICE_NOT_FOUND' }));
  });

  test('reject everything else', () => {
    for (const value of [null, undefined, 'SLUICE_NOT_FOUND', 42, {}, { code: 7 }, new Error('x')]) {
      assert.equal(hasErrorCode(value, ErrorCodes.notFound), false);
      assert.equal(isSluiceError(value), false);
    }
    assert.equal(hasErrorCode(new NotFoundError('x'), ErrorCodes.conflict), false);
    assert.equal(isSluiceError({ code: 'ECONNREFUSED' }), false);
  });
});
