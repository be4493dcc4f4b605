import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { JobEventJson } from '../../../src/core/job-event-json.js';
import { type PushRig, SseWire, startPushRig, watchedLogger } from '../../helpers/push-rig.js';

function dataOf(message: { data?: string }): JobEventJson {
  return JSON.parse(message.data ?? 'null') as JobEventJson;
}

describe('event streams over a real connection', () => {
  let rig: PushRig;
  let base: string;
  const log = watchedLogger();

  before(async () => {
    rig = await startPushRig({ push: { keepAliveMs: 50, maxBufferedBytes: 32 * 1024 }, loggerInstance: log.logger });
    base = await rig.listen();
  });
  after(() => rig.close());

  test("a job's stream: its history, then each change as it is made, and the end after the terminal event", async () => {
    const job = await rig.enqueue();
    const wire = new SseWire(`${base}/v1/jobs/${job.id}/events`);
    await wire.opened;
    assert.equal(wire.status, 200);
    assert.equal(dataOf(await wire.id('1')).type, 'job.created');
    const claimed = await rig.claim();
    assert.equal((await wire.id('2')).event, 'job.started');
    await rig.progress(claimed, 40);
    assert.deepEqual(dataOf(await wire.id('3')).data, { progress: 40 });
    await rig.emit(claimed, 'a', 'b');
    assert.deepEqual(dataOf(await wire.id('4')).data, { chunks: ['a', 'b'] });
    await rig.complete(claimed, 'ab');
    assert.equal((await wire.id('5')).event, 'job.succeeded');
    await wire.end();
    assert.deepEqual(wire.ids, ['1', '2', '3', '4', '5']);
  });

  test('a client that reconnects with Last-Event-ID gets exactly what it missed', async () => {
    const job = await rig.enqueue();
    const first = new SseWire(`${base}/v1/jobs/${job.id}/events`);
    const claimed = await rig.claim();
    await first.id('2');
    first.close();
    await first.end();
    await rig.progress(claimed, 1);
    await rig.progress(claimed, 2);
    const again = new SseWire(`${base}/v1/jobs/${job.id}/events?after=0`, { 'last-event-id': '2' });
    await again.id('4');
    await rig.complete(claimed, null);
    await again.end();
    assert.deepEqual(first.ids, ['1', '2']);
    assert.deepEqual(again.ids, ['3', '4', '5']);
  });

  test('keep-alive comments flow on an idle stream', async () => {
    const job = await rig.enqueue({ queue: 'idle' });
    const wire = new SseWire(`${base}/v1/jobs/${job.id}/events`);
    await wire.id('1');
    const comment = await wire.next((m) => m.comment !== undefined);
    assert.equal(comment.comment, 'keep-alive');
    wire.close();
  });

  test('the feed: the tenant’s events in order from a cursor, live, and resumable by Last-Event-ID', async () => {
    const head = (await rig.app.inject({ url: '/v1/events?limit=1000' })).json() as { cursor: string };
    const wire = new SseWire(`${base}/v1/events?after=${head.cursor}&queue=feed`);
    const a = await rig.enqueue({ queue: 'feed' });
    await rig.enqueue({ queue: 'elsewhere' });
    const first = await wire.next((m) => m.event === 'job.created');
    assert.equal(dataOf(first).jobId, a.id);
    assert.equal(first.id, dataOf(first).cursor, 'the SSE id is the feed cursor');
    const claimed = await rig.claim('feed');
    await rig.complete(claimed, 1);
    await wire.next((m) => m.event === 'job.succeeded');
    wire.close();
    const resumed = new SseWire(`${base}/v1/events?queue=feed`, { 'last-event-id': first.id! });
    const b = await rig.enqueue({ queue: 'feed' });
    await resumed.next((m) => m.data !== undefined && dataOf(m).jobId === b.id);
    assert.deepEqual(
      resumed.messages.filter((m) => m.id).map((m) => [dataOf(m).jobId, m.event]),
      [
        [a.id, 'job.started'],
        [a.id, 'job.succeeded'],
        [b.id, 'job.created'],
      ],
    );
    resumed.close();
  });

  test('events appended while a feed stream opens arrive once each, in the feed’s order', async () => {
    const head = (await rig.app.inject({ url: '/v1/events?limit=1000' })).json() as { cursor: string };
    const job = await rig.enqueue({ queue: 'race' });
    const claimed = await rig.claim('race');
    const writes = (async () => {
      for (let i = 0; i < 300; i++) await rig.progress(claimed, i);
    })();
    const wire = new SseWire(`${base}/v1/events?after=${head.cursor}&queue=race`);
    await writes;
    await rig.complete(claimed, 'done');
    await wire.next((m) => m.event === 'job.succeeded');
    const stored = (await rig.app.inject({ url: `/v1/jobs/${job.id}/events` })).json() as { events: JobEventJson[] };
    assert.deepEqual(
      wire.messages.filter((m) => m.id).map((m) => dataOf(m).seq),
      stored.events.map((e) => e.seq),
    );
    wire.close();
  });

  test('a client that stops reading is cut; the worker and the other clients go on', async () => {
    const job = await rig.enqueue({ queue: 'slow' });
    const claimed = await rig.claim('slow');
    const fast = new SseWire(`${base}/v1/jobs/${job.id}/events`);
    await fast.id('2');
    // A client that sends its request and then never reads a byte.
    const stuck = connect(Number(new URL(base).port), '127.0.0.1');
    stuck.write(`GET /v1/jobs/${job.id}/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n`);
    stuck.pause();
    const cut = log.next(/event stream cut/);
    let cutSeen = false;
    void cut.then(() => {
      cutSeen = true;
    });
    const chunk = 'x'.repeat(64 * 1024);
    let seq = 2;
    // Bounded: the kernel's socket buffers take a few MB before the server's own buffer grows.
    for (let i = 0; i < 2_000 && !cutSeen; i++) {
      await rig.emit(claimed, chunk);
      seq += 1;
      await fast.id(String(seq));
    }
    await cut;
    assert.match(log.seen.find((line) => /event stream cut/.test(line)) ?? '', /"reason":"lagging"/);
    await rig.complete(claimed, 'fine');
    await fast.end();
    assert.equal(fast.ids.length, seq + 1, 'the client that reads got every event');
    assert.equal(fast.ids.at(-1), String(seq + 1));
    stuck.destroy();
  });

  test('closing the app ends open streams at once (clients reconnect elsewhere)', async () => {
    const other = await startPushRig();
    const url = await other.listen();
    const job = await other.enqueue();
    const wire = new SseWire(`${url}/v1/jobs/${job.id}/events`);
    await wire.id('1');
    await other.close();
    await wire.end();
    assert.deepEqual(wire.ids, ['1']);
  });
});
