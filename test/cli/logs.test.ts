import assert from 'node:assert/strict';
import { once } from 'node:events';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { stripVTControlCharacters } from 'node:util';
import { Sluice } from '../../src/sluice.js';
import { SluiceProcess, startServer } from '../helpers/spawn-sluice.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const temp = makeTempDir();
after(() => temp.cleanup());

describe('what a running server logs at the default level', () => {
  test('health checks log nothing; a job is one line per request plus its start and end', async () => {
    const { proc, url } = await startServer({ SLUICE_BACKEND: `sqlite:${join(temp.dir, 'logs.db')}` });
    try {
      await proc.waitForLog(/worker started/);
      const before = proc.lines.length;
      for (let i = 0; i < 50; i++) {
        for (const path of ['/healthz', '/readyz', '/metrics']) assert.equal((await fetch(url + path)).status, 200);
      }
      const submitted = await fetch(`${url}/v1/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'noop', input: { n: 1 } }),
      });
      const { id } = (await submitted.json()) as { id: string };
      await proc.waitForLog(/job succeeded/);
      const after = proc.lines.slice(before).map((line) => JSON.parse(line) as Record<string, unknown>);
      // The request's line is written when its response is sent, which may come after the job started.
      assert.deepEqual(
        after.map((record) => record.msg).sort(),
        ['job started', 'job succeeded', 'request'],
        'one line for the POST, none for 150 probes',
      );
      const request = after.find((record) => record.msg === 'request')!;
      assert.deepEqual([request.method, request.url, request.status], ['POST', '/v1/jobs', 202]);
      const jobLines = after.filter((record) => record.msg !== 'request');
      assert.ok(jobLines.every((record) => record.jobId === id && record.type === 'noop' && record.attempt === 1));
    } finally {
      await proc.stop();
    }
  });
});

describe('SLUICE_LOG_FORMAT=pretty', () => {
  test('a worker writes readable lines, the last one ("stopped") included at exit', async () => {
    const backend = `sqlite:${join(temp.dir, 'pretty.db')}`;
    const proc = new SluiceProcess(['worker'], { SLUICE_BACKEND: backend, SLUICE_LOG_FORMAT: 'pretty' });
    const sluice = await Sluice.connect(backend);
    try {
      await proc.waitForLine(/sluice worker running/);
      const job = await sluice.enqueue({ type: 'noop', input: {} });
      // The job's end line: the worker is past start-up and listens for signals.
      await proc.waitForLine(/job succeeded/);
      const closed = once(proc.child, 'close'); // stdout fully read, not only the process gone
      proc.kill('SIGTERM');
      const { code } = await proc.exited;
      await closed;
      assert.equal(code, 0, proc.stderr);
      const plain = stripVTControlCharacters(proc.stdout);
      assert.match(plain, /INFO.*\(sluice\/\d+\).*: sluice worker running/);
      assert.match(plain, new RegExp(`: job succeeded\n(\\s+.*\n)*?\\s+jobId: "${job.id}"`));
      assert.match(plain, /: stopped\n?$/);
      assert.ok(!plain.trimStart().startsWith('{'), 'not JSON');
    } finally {
      await sluice.close();
      await proc.stop();
    }
  });
});
