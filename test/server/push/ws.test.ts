import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import type { JobEventJson } from '../../../src/core/job-event-json.js';
import { type PushRig, startPushRig, watchedLogger } from '../../helpers/push-rig.js';

interface Frame {
  op: string;
  job?: string;
  queue?: string;
  id?: string;
  event?: JobEventJson;
  error?: { code: string; message: string; field?: string };
}

/** A `ws` client whose frames the test waits on. */
class Client {
  readonly socket: WebSocket;
  readonly frames: Frame[] = [];
  private readonly waiters = new Set<{ test: (f: Frame) => boolean; resolve: (f: Frame) => void }>();
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(url: string, headers: Record<string, string> = {}) {
    this.socket = new WebSocket(url, { headers });
    this.opened = new Promise((resolve, reject) => {
      this.socket.once('open', () => resolve());
      this.socket.once('error', reject);
    });
    this.closed = new Promise((resolve) =>
      this.socket.once('close', (code, reason) => resolve({ code, reason: String(reason) })),
    );
    this.socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as Frame;
      this.frames.push(frame);
      for (const waiter of [...this.waiters]) {
        if (waiter.test(frame)) {
          this.waiters.delete(waiter);
          waiter.resolve(frame);
        }
      }
    });
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  next(test: (f: Frame) => boolean): Promise<Frame> {
    const seen = this.frames.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.add({ test, resolve }));
  }

  /** The events of one target, in order. */
  eventsOf(key: { job?: string; queue?: string }): Frame[] {
    return this.frames.filter((f) => f.op === 'event' && (key.job ? f.job === key.job : f.queue === key.queue));
  }
}

const T1 = { authorization: 'Bearer key-of-tenant-1' };
const T2 = { authorization: 'Bearer key-of-tenant-2' };

describe('GET /v1/ws (the ws client)', () => {
  let rig: PushRig;
  let wsUrl: string;
  const log = watchedLogger();

  before(async () => {
    rig = await startPushRig({
      apiKeys: new Map([
        ['key-of-tenant-1', { tenant: 't1', admin: false }],
        ['key-of-tenant-2', { tenant: 't2', admin: false }],
      ]),
      push: { maxBufferedBytes: 32 * 1024 },
      loggerInstance: log.logger,
    });
    wsUrl = `${(await rig.listen()).replace('http', 'ws')}/v1/ws`;
  });
  after(() => rig.close());

  test('subscribe to a job and a queue over one connection; the job ends after its terminal event', async () => {
    const client = new Client(wsUrl, T1);
    await client.opened;
    const job = await rig.enqueue({ queue: 'wq' }, 't1');
    client.send({ op: 'subscribe', job: job.id });
    client.send({ op: 'subscribe', queue: 'wq', types: ['job.succeeded'] });
    await client.next((f) => f.op === 'subscribed' && f.job === job.id);
    await client.next((f) => f.op === 'subscribed' && f.queue === 'wq');
    const claimed = await rig.claim('wq');
    await rig.emit(claimed, 'x');
    await rig.complete(claimed, 'done');
    await client.next((f) => f.op === 'end' && f.job === job.id);
    assert.deepEqual(
      client.eventsOf({ job: job.id }).map((f) => [f.id, f.event?.type]),
      [
        ['1', 'job.created'],
        ['2', 'job.started'],
        ['3', 'job.output.delta'],
        ['4', 'job.succeeded'],
      ],
    );
    const fromQueue = await client.next((f) => f.op === 'event' && f.queue === 'wq');
    assert.equal(fromQueue.event?.type, 'job.succeeded');
    assert.equal(fromQueue.id, fromQueue.event?.cursor, 'a queue event’s id is its feed cursor');
    client.socket.close();
  });

  test('resume cursors: after skips what the client has; unsubscribe stops the events', async () => {
    const client = new Client(wsUrl, T1);
    await client.opened;
    const job = await rig.enqueue({}, 't1');
    const claimed = await rig.claim();
    await rig.progress(claimed, 1);
    client.send({ op: 'subscribe', job: job.id, after: 2 });
    assert.equal((await client.next((f) => f.op === 'event')).id, '3');
    client.send({ op: 'unsubscribe', job: job.id });
    await client.next((f) => f.op === 'unsubscribed');
    await rig.complete(claimed, 'ok');
    // A job event after the unsubscribe would come before the answer to this one.
    client.send({ op: 'subscribe', job: job.id, after: 4 });
    await client.next((f) => f.op === 'end');
    assert.deepEqual(
      client.eventsOf({ job: job.id }).map((f) => f.id),
      ['3'],
    );
    client.socket.close();
  });

  test('error frames name the field; another tenant’s job is not found', async () => {
    const job = await rig.enqueue({}, 't1');
    const client = new Client(wsUrl, T2);
    await client.opened;
    const cases: Array<[unknown, string, string | undefined]> = [
      ['not json', 'SLUICE_INVALID_JSON', undefined],
      [{ op: 'dance' }, 'SLUICE_VALIDATION', 'op'],
      [{ op: 'subscribe' }, 'SLUICE_VALIDATION', 'job'],
      [{ op: 'subscribe', job: 'nope' }, 'SLUICE_VALIDATION', 'job'],
      [{ op: 'subscribe', job: job.id, after: -1 }, 'SLUICE_VALIDATION', 'after'],
      [{ op: 'subscribe', queue: 'q', after: 'not-a-cursor' }, 'SLUICE_VALIDATION', 'after'],
      [{ op: 'subscribe', job: job.id, extra: 1 }, 'SLUICE_VALIDATION', 'extra'],
      [{ op: 'unsubscribe', queue: 'never' }, 'SLUICE_NOT_FOUND', 'queue'],
      [{ op: 'subscribe', job: job.id }, 'SLUICE_NOT_FOUND', 'job'],
    ];
    for (const [message, code, field] of cases) {
      const before = client.frames.length;
      client.send(message);
      const frame = await client.next((f) => f.op === 'error' && client.frames.indexOf(f) >= before);
      assert.equal(frame.error?.code, code, JSON.stringify(message));
      assert.equal(frame.error?.field, field, JSON.stringify(message));
    }
    client.socket.close();
  });

  test('without a key the handshake is refused with 401; a plain GET is 426', async () => {
    const refused = new WebSocket(wsUrl);
    refused.on('error', () => {});
    const status = await new Promise<number>((resolve) =>
      refused.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
    );
    assert.equal(status, 401);
    refused.terminate();
    const plain = await rig.app.inject({ url: '/v1/ws', headers: T1 });
    assert.equal(plain.statusCode, 426);
    assert.equal((plain.json() as { error: { field: string } }).error.field, 'Upgrade');
  });

  test('a client that stops reading is disconnected; the worker and the other clients go on', async () => {
    const job = await rig.enqueue({ queue: 'wslow' }, 't1');
    const claimed = await rig.claim('wslow');
    const fast = new Client(wsUrl, T1);
    await fast.opened;
    fast.send({ op: 'subscribe', job: job.id });
    await fast.next((f) => f.op === 'event' && f.id === '2');
    // A WebSocket client that subscribes (a raw handshake and one masked frame), then never reads.
    const stuck = connect(Number(new URL(wsUrl).port), '127.0.0.1');
    const frame = Buffer.from(JSON.stringify({ op: 'subscribe', job: job.id }));
    const mask = Buffer.from([1, 2, 3, 4]);
    stuck.write(
      'GET /v1/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAuthorization: ${T1.authorization}\r\n\r\n`,
    );
    stuck.write(Buffer.concat([Buffer.from([0x81, 0x80 | frame.length]), mask, frame.map((b, i) => b ^ mask[i % 4]!)]));
    stuck.pause();
    const cut = log.next(/event stream cut/);
    let cutSeen = false;
    void cut.then(() => {
      cutSeen = true;
    });
    const chunk = 'y'.repeat(64 * 1024);
    let seq = 2;
    // Bounded: the kernel's socket buffers take a few MB before the server's own buffer grows.
    for (let i = 0; i < 2_000 && !cutSeen; i++) {
      await rig.emit(claimed, chunk);
      seq += 1;
      await fast.next((f) => f.op === 'event' && f.id === String(seq));
    }
    await cut;
    await rig.complete(claimed, 'ok');
    await fast.next((f) => f.op === 'end');
    assert.equal(fast.eventsOf({ job: job.id }).length, seq + 1, 'the client that reads got every event');
    fast.socket.close();
    stuck.destroy();
  });
});
