import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import { ErrorCodes } from '../../src/core/errors.js';
import { createFactorialHandler } from '../../src/handlers/factorial.js';
import { type AppFixture, errorOf, startApp, submit } from './app-fixture.js';

/** Each bad input, the field the 400 must name. */
const REFUSED: Array<[string, object, string]> = [
  ['factorial with a string n', { type: 'factorial', input: { n: 'ten' } }, 'input.n'],
  ['factorial with n over the maximum', { type: 'factorial', input: { n: 200_001 } }, 'input.n'],
  ['factorial with a fractional n', { type: 'factorial', input: { n: 2.5 } }, 'input.n'],
  ['factorial without input', { type: 'factorial' }, 'input'],
  ['math with a number for a question', { type: 'math', input: { question: 42 } }, 'input.question'],
  ['math with a question over 500 characters', { type: 'math', input: { question: '1+'.repeat(300) } }, 'input.question'],
  ['sleep with negative ms', { type: 'sleep', input: { ms: -1 } }, 'input.ms'],
  ['nlp with blank text', { type: 'nlp', input: { text: '  ' } }, 'input.text'],
  ['nlp with tokens not a boolean', { type: 'nlp', input: { text: 'hi', tokens: 'yes' } }, 'input.tokens'],
  ['detect-language with no text', { type: 'detect-language', input: {} }, 'input.text'],
  ['ocr with a number for an image', { type: 'ocr', input: { image: 7 } }, 'input.image'],
  ['chat without messages', { type: 'chat', input: { model: 'm', messages: [] } }, 'input.messages'],
  ['embed without a model', { type: 'embed', input: { texts: ['a'] } }, 'input.model'],
];

describe('a job input is checked against its handler at submit', () => {
  let fx: AppFixture;

  before(async () => {
    fx = await startApp({ inputSchemas: { resize: z.object({ width: z.number().int().positive() }), noop: echoOnly() } });
  });
  after(() => fx.close());

  for (const [name, spec, field] of REFUSED) {
    test(`${name}: 400 naming ${field}, nothing stored`, async () => {
      const res = await submit(fx.app, spec);
      assert.equal(res.statusCode, 400, res.body);
      const error = errorOf(res);
      assert.equal(error.code, ErrorCodes.validation);
      assert.equal(error.field, field);
      assert.match(error.message, new RegExp(`^${field.replace('.', '\\.')}: `));
      assert.deepEqual((await fx.sluice.list({ limit: 10 })).jobs, []);
    });
  }

  test('the handler refuses the same input on the same field, from the same schema', async () => {
    const res = await submit(fx.app, { type: 'factorial', input: { n: 'ten' } });
    const context = { job: { input: { n: 'ten' } }, signal: new AbortController().signal } as never;
    await assert.rejects(async () => createFactorialHandler(1).handle(context), {
      code: ErrorCodes.permanent,
      field: errorOf(res).field,
    });
  });

  test('inputs that fit are stored: built-in, noop (any JSON), and types without a schema', async () => {
    for (const spec of [
      { type: 'factorial', input: { n: 20 } },
      { type: 'sleep', input: { ms: 0 } },
      { type: 'detect-language', input: { text: 'bonjour' } },
      { type: 'my-own-type', input: 'whatever its handler takes' },
      { type: 'resize', input: { width: 640 } },
    ]) {
      const res = await submit(fx.app, spec);
      assert.equal(res.statusCode, 202, `${spec.type}: ${res.body}`);
    }
    const { jobs } = await fx.sluice.list({ limit: 10 });
    assert.equal(jobs.length, 5);
    for (const job of jobs) await fx.sluice.cancel(job.id);
  });

  test('a schema given to the app checks its type, and may replace a built-in one', async () => {
    const bad = await submit(fx.app, { type: 'resize', input: { width: 'wide' } });
    assert.equal(bad.statusCode, 400);
    assert.equal(errorOf(bad).field, 'input.width');
    const replaced = await submit(fx.app, { type: 'noop', input: { echo: 1 } });
    assert.equal(replaced.statusCode, 400, replaced.body);
    assert.equal(errorOf(replaced).field, 'input.echo');
  });

  test('in a bulk request the field names the job', async () => {
    const res = await fx.app.inject({
      method: 'POST',
      url: '/v1/jobs/bulk',
      payload: {
        jobs: [
          { type: 'factorial', input: { n: 3 } },
          { type: 'factorial', input: { n: -3 } },
        ],
      },
    });
    assert.equal(res.statusCode, 400, res.body);
    assert.equal(errorOf(res).field, 'jobs.1.input.n');
    assert.deepEqual((await fx.sluice.list({ limit: 10, status: 'queued' })).jobs, []);
  });
});

/** A custom handler took over `noop` (which takes any JSON as a built-in) and takes only `{echo}`. */
function echoOnly(): z.ZodType {
  return z.object({ echo: z.string() });
}
