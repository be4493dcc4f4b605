import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { Backend } from '../../src/core/backend.js';
import type { ListedJob } from '../../src/core/listed-job.js';
import { type BackendFactory, backendTest, claimOne, enqueue, leaseOf, mustGet, newJob, role } from './harness.js';

const INPUT = { prompt: 'Grüße, 世界 — a multi-byte input', numbers: [1, 2, 3] };
const OUTPUT = { text: 'déjà vu', value: '4'.repeat(2000) };

const bytesOf = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

/** One job that succeeded with OUTPUT and one still queued, both with INPUT; newest first. */
async function finishedAndWaiting(backend: Backend): Promise<{ done: string; waiting: string }> {
  const [done, waiting] = await enqueue(backend, { input: INPUT, queue: 'a' }, { input: INPUT, queue: 'b' });
  const claimed = await claimOne(backend, { queues: ['a'] });
  await backend.complete({ items: [{ ...leaseOf(claimed), output: OUTPUT }] });
  return { done: done!.id, waiting: waiting!.id };
}

function byId(jobs: ListedJob[], id: string): ListedJob {
  const job = jobs.find((j) => j.id === id);
  assert.ok(job, `job ${id} is listed`);
  return job;
}

/** Lists answer with summaries: the large fields only when asked for, their sizes always. */
export function listSummariesSuite(factory: BackendFactory): void {
  describe('list summaries', () => {
    const it = backendTest(factory);

    it('a page leaves out input and output but gives their stored sizes in bytes', async ({ backend }) => {
      const { done, waiting } = await finishedAndWaiting(backend);
      const { jobs } = await backend.list({ limit: 10 });
      assert.equal(jobs.length, 2);
      for (const job of jobs) {
        assert.equal('input' in job, false, 'no input in a summary');
        assert.equal('output' in job, false, 'no output in a summary');
        assert.equal(job.inputBytes, bytesOf(INPUT));
      }
      const finished = byId(jobs, done);
      assert.equal(finished.status, 'succeeded');
      assert.equal(finished.outputBytes, bytesOf(OUTPUT));
      assert.equal(byId(jobs, waiting).outputBytes, 0, 'no output: 0 bytes');
      // Everything else is the job as `get` reads it.
      const { input: _input, output: _output, ...full } = await mustGet(backend, done);
      const { inputBytes: _in, outputBytes: _out, ...summary } = finished;
      assert.deepEqual(summary, full);
    });

    it('include adds the fields it names, equal to what get reads', async ({ backend }) => {
      const { done, waiting } = await finishedAndWaiting(backend);
      const both = await backend.list({ limit: 10, include: ['input', 'output'] });
      const full = await mustGet(backend, done);
      assert.deepEqual(byId(both.jobs, done), { ...full, inputBytes: bytesOf(INPUT), outputBytes: bytesOf(OUTPUT) });
      assert.deepEqual(byId(both.jobs, waiting).input, INPUT);
      assert.equal('output' in byId(both.jobs, waiting), false, 'a job without output has none to include');

      const inputOnly = await backend.list({ limit: 10, include: ['input'] });
      assert.deepEqual(byId(inputOnly.jobs, done).input, INPUT);
      assert.equal('output' in byId(inputOnly.jobs, done), false);
      const outputOnly = await backend.list({ limit: 10, include: ['output'], status: 'succeeded' });
      assert.deepEqual(
        outputOnly.jobs.map((j) => [j.id, j.output, 'input' in j]),
        [[done, OUTPUT, false]],
      );
    });

    it('summaries page and filter like full lists', async ({ backend }) => {
      const jobs = await enqueue(backend, ...Array.from({ length: 5 }, (_, i) => ({ input: { i }, queue: 'q' })));
      const first = await backend.list({ queue: 'q', limit: 3 });
      const second = await backend.list({ queue: 'q', limit: 3, cursor: first.nextCursor, include: ['input'] });
      assert.deepEqual(
        [...first.jobs, ...second.jobs].map((j) => j.id),
        jobs.map((j) => j.id).reverse(),
      );
      assert.deepEqual(
        second.jobs.map((j) => j.input),
        [{ i: 1 }, { i: 0 }],
      );
      assert.equal(second.nextCursor, undefined);
    });
  });
}

/** `readOutput`: the output's stored JSON text, unparsed, with the status and tenant scoping. */
export function readOutputSuite(factory: BackendFactory): void {
  describe('read output', () => {
    const it = backendTest(factory);

    it(
      'a backend without capabilities.outputText has no readOutput',
      async ({ backend }) => {
        assert.equal(backend.readOutput, undefined, 'declared as absent, so absent');
      },
      { lacks: 'outputText' },
    );

    it(
      'reads the stored output text and the status, scoped to the tenant',
      async ({ backend }) => {
        const reader = role(backend, 'outputText');
        const readOutput = reader.readOutput.bind(reader);
        const { done, waiting } = await finishedAndWaiting(backend);
        const stored = await readOutput({ id: done });
        assert.equal(stored?.status, 'succeeded');
        assert.deepEqual(JSON.parse(stored?.outputJson ?? 'null'), OUTPUT);
        assert.equal(Buffer.byteLength(stored?.outputJson ?? ''), bytesOf(OUTPUT), 'the text as stored');
        assert.deepEqual(await readOutput({ id: waiting }), { status: 'queued' }, 'no output yet');
        assert.equal(await readOutput({ id: '01890000-0000-7000-8000-000000000000' }), null);

        const [mine] = await backend.enqueue({ jobs: [newJob({}, { tenant: 'acme' })] });
        assert.deepEqual(await readOutput({ id: mine!.job.id, tenant: 'acme' }), { status: 'queued' });
        assert.equal(await readOutput({ id: mine!.job.id, tenant: 'globex' }), null, "another tenant's job is not found");
        assert.equal(await readOutput({ id: done, tenant: 'acme' }), null);
      },
      { requires: 'outputText' },
    );
  });
}
