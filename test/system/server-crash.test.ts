import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { getJob } from '../helpers/http.js';
import { type SluiceProcess, startServer } from '../helpers/spawn-sluice.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const temp = makeTempDir();
const procs: SluiceProcess[] = [];
after(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  temp.cleanup();
});

test('every job answered 202 is still there after the server is SIGKILLed mid-burst (invariant 1)', async () => {
  const env = { SLUICE_BACKEND: `sqlite:${join(temp.dir, 'sluice.db')}`, SLUICE_CONCURRENCY: '0' };
  const first = await startServer(env);
  procs.push(first.proc);

  const acknowledged: string[] = [];
  let killed = false;
  const KILL_AFTER = 300;
  // Eight keep-alive clients hammer the API; the kill lands while requests are in flight.
  const client = async (c: number) => {
    for (let i = 0; !killed; i++) {
      try {
        const res = await fetch(`${first.url}/v1/jobs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ type: 'noop', input: { client: c, i, pad: 'x'.repeat(150) } }),
        });
        // The status line and Location header are the acknowledgement a client acts on.
        const location = res.headers.get('location');
        if (res.status === 202 && location) acknowledged.push(location.split('/').pop()!);
        await res.arrayBuffer().catch(() => undefined);
        if (acknowledged.length >= KILL_AFTER && !killed) {
          killed = true;
          first.proc.kill('SIGKILL');
        }
      } catch {
        return; // connection reset by the kill
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, (_, c) => client(c)));
  const exit = await first.proc.exited;
  assert.equal(exit.signal, 'SIGKILL');
  assert.ok(acknowledged.length >= KILL_AFTER);

  const second = await startServer(env);
  procs.push(second.proc);
  const missing: string[] = [];
  for (const id of acknowledged) {
    const res = await fetch(`${second.url}/v1/jobs/${id}`);
    if (res.status !== 200) missing.push(id);
    else await res.arrayBuffer();
  }
  assert.deepEqual(missing, [], `${missing.length} of ${acknowledged.length} acknowledged jobs were lost`);
  const sample = await getJob(second.url, acknowledged[0]!);
  assert.equal(sample.type, 'noop');
  assert.equal(sample.status, 'queued');
});
