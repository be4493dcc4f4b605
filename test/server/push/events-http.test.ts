import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { JobEventJson } from '../../../src/core/job-event-json.js';
import { type PushRig, parseSse, startPushRig } from '../../helpers/push-rig.js';
import { errorOf } from '../app-fixture.js';

const SSE = { accept: 'text/event-stream' };
const T1 = { authorization: 'Bearer key-of-tenant-1' };
const T2 = { authorization: 'Bearer key-of-tenant-2' };
const ADMIN = { authorization: 'Bearer key-of-the-admin' };
const KEYS = new Map([
  ['key-of-tenant-1', { tenant: 't1', admin: false }],
  ['key-of-tenant-2', { tenant: 't2', admin: false }],
  ['key-of-the-admin', { tenant: '*', admin: true }],
]);

function eventsOf(body: unknown): JobEventJson[] {
  return (body as { events: JobEventJson[] }).events;
}

describe('GET /v1/jobs/{id}/events and GET /v1/events (inject)', () => {
  let rig: PushRig;
  /** A job of tenant t1 that ran once and succeeded: created, started, progress, delta, succeeded. */
  let done: string;

  before(async () => {
    rig = await startPushRig({ apiKeys: KEYS });
    const job = await rig.enqueue({ queue: 'qa' }, 't1');
    const claimed = await rig.claim('qa');
    await rig.progress(claimed, { percent: 50 });
    await rig.emit(claimed, 'Hel', 'lo');
    await rig.complete(claimed, { text: 'Hello' });
    done = job.id;
  });
  after(() => rig.close());

  test('JSON: the whole history, each attempt with its worker, start and end', async () => {
    const res = await rig.app.inject({ url: `/v1/jobs/${done}/events`, headers: T1 });
    assert.equal(res.statusCode, 200);
    const events = eventsOf(res.json());
    assert.deepEqual(
      events.map((e) => [e.seq, e.type, e.attempt]),
      [
        [1, 'job.created', undefined],
        [2, 'job.started', 1],
        [3, 'job.progress', 1],
        [4, 'job.output.delta', 1],
        [5, 'job.succeeded', 1],
      ],
    );
    assert.equal((events[1]!.data as { workerId: string }).workerId, 'test-worker');
    assert.deepEqual(events[3]!.data, { chunks: ['Hel', 'lo'] });
    assert.deepEqual(events[4]!.data, { output: { text: 'Hello' } });
    assert.ok(events.every((e) => e.jobId === done && e.queue === 'qa' && !Number.isNaN(Date.parse(e.at))));
  });

  test('JSON: after and limit page through the history', async () => {
    const res = await rig.app.inject({ url: `/v1/jobs/${done}/events?after=2&limit=2`, headers: T1 });
    assert.deepEqual(
      eventsOf(res.json()).map((e) => e.seq),
      [3, 4],
    );
  });

  test('SSE: id is the seq, event the type, data the event; the stream ends after the terminal event', async () => {
    const res = await rig.app.inject({ url: `/v1/jobs/${done}/events`, headers: { ...T1, ...SSE } });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/event-stream/);
    assert.equal(res.headers['cache-control'], 'no-cache, no-transform');
    const messages = parseSse(res.body).filter((m) => m.data !== undefined);
    assert.deepEqual(
      messages.map((m) => [m.id, m.event]),
      [
        ['1', 'job.created'],
        ['2', 'job.started'],
        ['3', 'job.progress'],
        ['4', 'job.output.delta'],
        ['5', 'job.succeeded'],
      ],
    );
    assert.deepEqual((JSON.parse(messages[4]!.data!) as JobEventJson).data, { output: { text: 'Hello' } });
    assert.ok(
      parseSse(res.body).some((m) => m.retry !== undefined),
      'it tells the client how soon to reconnect',
    );
  });

  test('SSE: Last-Event-ID wins over the ?after of the first URL, and resuming past the end is 204', async () => {
    const resumed = await rig.app.inject({
      url: `/v1/jobs/${done}/events?after=0`,
      headers: { ...T1, ...SSE, 'last-event-id': '3' },
    });
    assert.deepEqual(
      parseSse(resumed.body)
        .filter((m) => m.id !== undefined)
        .map((m) => m.id),
      ['4', '5'],
    );
    const ended = await rig.app.inject({ url: `/v1/jobs/${done}/events`, headers: { ...T1, ...SSE, 'last-event-id': '5' } });
    assert.equal(ended.statusCode, 204, 'an EventSource stops reconnecting on 204');
    assert.equal(ended.body, '');
  });

  test('an unknown job, or another tenant’s, is 404 as JSON and as SSE', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    for (const [url, headers] of [
      [`/v1/jobs/${unknown}/events`, T1],
      [`/v1/jobs/${done}/events`, T2],
    ] as const) {
      for (const accept of [{}, SSE]) {
        const res = await rig.app.inject({ url, headers: { ...headers, ...accept } });
        assert.equal(res.statusCode, 404, `${url} ${JSON.stringify(accept)}`);
        assert.equal(errorOf(res).code, 'SLUICE_NOT_FOUND');
      }
    }
    const admin = await rig.app.inject({ url: `/v1/jobs/${done}/events`, headers: ADMIN });
    assert.equal(admin.statusCode, 200, 'an admin key reads every tenant’s jobs');
  });

  test('a malformed after or Last-Event-ID is 400 naming it', async () => {
    const cases: Array<[string, Record<string, string>, string]> = [
      [`/v1/jobs/${done}/events?after=abc`, {}, 'after'],
      [`/v1/jobs/${done}/events?after=-1`, SSE, 'after'],
      [`/v1/jobs/${done}/events?after=1e3`, {}, 'after'],
      [`/v1/jobs/${done}/events`, { ...SSE, 'last-event-id': 'x1' }, 'Last-Event-ID'],
      [`/v1/jobs/${done}/events?limit=0`, {}, 'limit'],
      ['/v1/events?after=not-a-cursor', {}, 'after'],
      ['/v1/events?after=not-a-cursor', SSE, 'after'],
      ['/v1/events', { ...SSE, 'last-event-id': 'not-a-cursor' }, 'Last-Event-ID'],
      ['/v1/events?type=job.nope', {}, 'type'],
      ['/v1/events?queue=bad%20name', {}, 'queue'],
      ['/v1/events?tenant=t2', {}, 'tenant'],
    ];
    for (const [url, headers, field] of cases) {
      const res = await rig.app.inject({ url, headers: { ...T1, ...headers } });
      assert.equal(res.statusCode, 400, `${url} ${JSON.stringify(headers)}: ${res.body}`);
      const error = errorOf(res);
      assert.equal(error.code, 'SLUICE_VALIDATION');
      assert.equal(error.field, field, url);
    }
  });

  test('the feed shows a tenant only its own events, filtered by queue and type, and resumes by cursor', async () => {
    const head = (await rig.app.inject({ url: '/v1/events?limit=1000', headers: ADMIN })).json() as { cursor: string };
    const mine = await rig.enqueue({ queue: 'qb' }, 't1');
    const theirs = await rig.enqueue({ queue: 'qb' }, 't2');
    const t1 = (await rig.app.inject({ url: `/v1/events?after=${head.cursor}`, headers: T1 })).json();
    assert.deepEqual(
      eventsOf(t1).map((e) => [e.jobId, e.type]),
      [[mine.id, 'job.created']],
    );
    assert.ok(eventsOf(t1).every((e) => typeof e.cursor === 'string'));
    const all = (await rig.app.inject({ url: `/v1/events?after=${head.cursor}&queue=qb`, headers: ADMIN })).json();
    assert.deepEqual(
      eventsOf(all).map((e) => e.jobId),
      [mine.id, theirs.id],
    );
    const resumed = await rig.app.inject({ url: `/v1/events?after=${eventsOf(all)[0]!.cursor}`, headers: ADMIN });
    assert.deepEqual(
      eventsOf(resumed.json()).map((e) => e.jobId),
      [theirs.id],
    );
    const types = await rig.app.inject({ url: '/v1/events?type=job.succeeded,job.output.delta', headers: T1 });
    assert.deepEqual(
      eventsOf(types.json()).map((e) => e.type),
      ['job.output.delta', 'job.succeeded'],
    );
  });
});

describe('a backend without an event log', () => {
  test('answers 501 SLUICE_NOT_SUPPORTED on the event routes (the route exists; this backend cannot serve it)', async () => {
    const rig = await startPushRig({}, { eventLog: false });
    try {
      const job = await rig.enqueue();
      for (const [url, headers] of [
        [`/v1/jobs/${job.id}/events`, {}],
        [`/v1/jobs/${job.id}/events`, SSE],
        ['/v1/events', SSE],
      ] as const) {
        const res = await rig.app.inject({ url, headers });
        assert.equal(res.statusCode, 501, url);
        assert.equal(errorOf(res).code, 'SLUICE_NOT_SUPPORTED');
        assert.match(errorOf(res).message, /event log/);
      }
    } finally {
      await rig.close();
    }
  });
});
