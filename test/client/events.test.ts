import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type JobEventJson, SluiceClient } from '../../src/client/index.js';
import { type PushRig, startPushRig } from '../helpers/push-rig.js';
import { nextLongPoll } from '../server/app-fixture.js';

/** A client whose requests the test can read afterwards. */
function recordingClient(baseUrl: string): { client: SluiceClient; urls: string[] } {
  const urls: string[] = [];
  const client = new SluiceClient({
    baseUrl,
    fetch: (input, init) => {
      urls.push(String(input));
      return fetch(input, init);
    },
  });
  return { client, urls };
}

describe('SluiceClient.events and waitFor on the event stream', () => {
  let rig: PushRig;
  let base: string;

  before(async () => {
    rig = await startPushRig({ push: { retryMs: 20 } });
    base = await rig.listen();
  });
  after(() => rig.close());

  test('events() yields the history, then each change, and returns after the terminal event', async () => {
    const job = await rig.enqueue();
    const claimed = await rig.claim();
    const { client } = recordingClient(base);
    const seen: JobEventJson[] = [];
    for await (const event of client.events(job.id)) {
      seen.push(event);
      if (event.seq === 2) await rig.emit(claimed, 'tok');
      if (event.seq === 3) await rig.complete(claimed, 'ok');
    }
    assert.deepEqual(
      seen.map((e) => e.type),
      ['job.created', 'job.started', 'job.output.delta', 'job.succeeded'],
    );
  });

  test('events() resumes by itself after the connection drops: each event once, in order', async () => {
    const job = await rig.enqueue();
    const claimed = await rig.claim();
    const { client, urls } = recordingClient(base);
    const seqs: number[] = [];
    for await (const event of client.events(job.id, { after: 1 })) {
      seqs.push(event.seq);
      if (event.seq === 2) {
        rig.app.server.closeAllConnections();
        await rig.progress(claimed, 1);
        await rig.progress(claimed, 2);
        await rig.complete(claimed, 'ok');
      }
    }
    assert.deepEqual(seqs, [2, 3, 4, 5]);
    assert.ok(urls.length >= 2, 'it reconnected');
  });

  test('waitFor rides the stream: no long-poll', async () => {
    const job = await rig.enqueue();
    const { client, urls } = recordingClient(base);
    const waiting = client.waitFor(job.id, { timeoutMs: 10_000 });
    const claimed = await rig.claim();
    await rig.complete(claimed, { n: 1 });
    const ended = await waiting;
    assert.equal(ended.status, 'succeeded');
    assert.deepEqual(ended.output, { n: 1 });
    assert.ok(urls.some((u) => u.endsWith(`/v1/jobs/${job.id}/events`)));
    assert.ok(!urls.some((u) => u.includes('wait=')), urls.join(' '));
  });

  test('events() throws what the server answers: 404 for an unknown job', async () => {
    const { client } = recordingClient(base);
    await assert.rejects(
      async () => {
        for await (const _ of client.events('00000000-0000-4000-8000-000000000000')) assert.fail('no event');
      },
      { code: 'SLUICE_NOT_FOUND', status: 404 },
    );
  });
});

describe('SluiceClient.waitFor on a server without an event log', () => {
  test('falls back to long-polling after the 501', async () => {
    const rig = await startPushRig({}, { eventLog: false });
    try {
      const { client, urls } = recordingClient(await rig.listen());
      const job = await rig.enqueue();
      const polling = nextLongPoll(rig.sluice);
      const waiting = client.waitFor(job.id, { timeoutMs: 10_000 });
      await polling;
      const claimed = await rig.claim();
      await rig.complete(claimed, 'ok');
      assert.equal((await waiting).status, 'succeeded');
      assert.ok(
        urls.some((u) => u.includes('wait=')),
        urls.join(' '),
      );
    } finally {
      await rig.close();
    }
  });
});
