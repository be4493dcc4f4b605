import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { EventSource } from 'eventsource';
import { JOB_EVENT_TYPES } from '../../src/core/ports/event-log.js';
import { Sluice } from '../../src/sluice.js';
import { postJob } from '../helpers/http.js';
import { SluiceProcess, startServer } from '../helpers/spawn-sluice.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { until } from '../helpers/until.js';

const temp = makeTempDir('sluice-sse-restart-');
const procs: SluiceProcess[] = [];
let reader: Sluice | undefined;
after(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  await reader?.close();
  temp.cleanup();
});

/** A port nobody listens on now: the restarted server must come back at the same URL. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Received {
  id: string;
  type: string;
  seq: number;
}

const db = join(temp.dir, 'sluice.db');
/** The server can resume a stream only where the backend keeps an event log. */
const skip = await (async () => {
  const probe = await Sluice.connect(`sqlite:${db}`);
  const has = probe.backend.capabilities.eventLog === true;
  await probe.close();
  return has ? false : 'the SQLite backend on this branch keeps no event log (capabilities.eventLog)';
})();

test('an EventSource follows a job across a SIGKILL and restart of the server, the job running in another process', {
  skip,
  timeout: 120_000,
}, async () => {
  const port = await freePort();
  const env = {
    SLUICE_BACKEND: `sqlite:${db}`,
    SLUICE_CONCURRENCY: '0',
    SLUICE_PORT: String(port),
    SLUICE_EVENTS_POLL_MS: '50',
  };
  const first = await startServer(env);
  procs.push(first.proc);
  const job = await postJob(first.url, { type: 'sleep', input: { ms: 3_000 } });

  const received: Received[] = [];
  const waiters: Array<{ type: string; resolve: () => void }> = [];
  const source = new EventSource(`${first.url}/v1/jobs/${job.id}/events`);
  let errors = 0;
  source.addEventListener('error', () => {
    errors += 1;
  });
  for (const type of JOB_EVENT_TYPES) {
    source.addEventListener(type, (message) => {
      const event = JSON.parse(message.data) as { seq: number; type: string };
      received.push({ id: message.lastEventId, type: event.type, seq: event.seq });
      for (const waiter of waiters.filter((w) => w.type === type)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    });
  }
  const seen = (type: string) =>
    received.some((r) => r.type === type) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ type, resolve }));

  await seen('job.created');
  first.proc.kill('SIGKILL');
  assert.equal((await first.proc.exited).signal, 'SIGKILL');

  // The job runs in a worker of its own (as on another machine) while no server is up.
  const worker = new SluiceProcess(['worker'], { SLUICE_BACKEND: `sqlite:${db}`, SLUICE_CONCURRENCY: '1' });
  procs.push(worker);
  reader = await Sluice.connect(`sqlite:${db}`);
  await until(async () => (await reader!.get(job.id))?.status === 'running', 'the worker to start the job');

  const second = await startServer(env);
  procs.push(second.proc);
  await seen('job.succeeded');
  // After the terminal event the EventSource reconnects once more and is told 204: it stops.
  await until(async () => source.readyState === EventSource.CLOSED, 'the EventSource to stop after the end');
  source.close();

  const history = (await (await fetch(`${second.url}/v1/jobs/${job.id}/events`)).json()) as {
    events: Array<{ seq: number; type: string }>;
  };
  assert.deepEqual(
    received.map((r) => [r.seq, r.type]),
    history.events.map((e) => [e.seq, e.type]),
    'every event once, in order: nothing missed while the server was down, nothing twice',
  );
  assert.deepEqual(
    received.map((r) => r.id),
    received.map((r) => String(r.seq)),
    'the SSE id is the seq (what Last-Event-ID resumes from)',
  );
  assert.ok(
    received.some((r) => r.type === 'job.progress'),
    'progress reported by the other process arrived',
  );
  assert.ok(errors >= 1, 'the connection did drop');
});
