import autocannon from 'autocannon';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Sluice } from '../../src/sluice.js';
import { payload } from '../lib/payload.js';
import type { Measurement } from '../lib/runner.js';
import { buildApp } from '../lib/sluice-modules.js';

export interface HttpOptions {
  seconds: number;
  connections: number;
  /** Jobs per bulk request. */
  bulkSize: number;
}

const oneBody = JSON.stringify({ type: 'noop', input: payload(1) });
const bulkBody = (size: number) =>
  JSON.stringify({ jobs: Array.from({ length: size }, (_, i) => ({ type: 'noop', input: payload(i) })) });

/** Runs autocannon (keep-alive connections) against a listening app; returns jobs accepted per second. */
async function hammer(
  app: FastifyInstance,
  path: string,
  body: string,
  jobsPerRequest: number,
  options: HttpOptions,
): Promise<number> {
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    const result = await autocannon({
      url: `${address}${path}`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      connections: options.connections,
      duration: options.seconds,
    });
    const ok = result['2xx'];
    if (ok === 0 || result.non2xx > 0)
      throw new Error(`${path}: ${ok} accepted, ${result.non2xx} refused, ${result.errors} errors`);
    return (ok * jobsPerRequest) / options.seconds;
  } finally {
    await app.close();
  }
}

/** Workload 4, Sluice side: the real API (`buildApp`, API only, no workers) on a fresh backend. */
export async function sluiceHttp(sluice: Sluice, options: HttpOptions): Promise<Measurement[]> {
  // autocannon keeps sending on a connection the server closes after maxRequestsPerSocket and
  // counts the 503s; like the bare Fastify ceiling, this run puts no cap on requests per socket.
  const httpLimits = { maxRequestsPerSocket: 0 };
  const one = await hammer(await buildApp({ sluice, httpLimits }), '/v1/jobs', oneBody, 1, options);
  const bulk = await hammer(
    await buildApp({ sluice, httpLimits }),
    '/v1/jobs/bulk',
    bulkBody(options.bulkSize),
    options.bulkSize,
    options,
  );
  return [
    { metric: 'POST /v1/jobs', unit: 'jobs/s', better: 'higher', value: one },
    { metric: `POST /v1/jobs/bulk (${options.bulkSize}/req)`, unit: 'jobs/s', better: 'higher', value: bulk },
  ];
}

/** The ceiling: a bare Fastify route that parses the same JSON and answers 202, storing nothing. */
function rawApp(): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
  let id = 0;
  app.post('/v1/jobs', async (request, reply) => {
    const body = request.body as { type?: unknown };
    if (typeof body?.type !== 'string') return reply.code(400).send({ error: 'type' });
    return reply.code(202).send({ id: String(++id), status: 'queued' });
  });
  app.post('/v1/jobs/bulk', async (request, reply) => {
    const body = request.body as { jobs?: unknown };
    if (!Array.isArray(body?.jobs)) return reply.code(400).send({ error: 'jobs' });
    return reply.code(202).send({ jobs: body.jobs.map(() => ({ id: String(++id), status: 'queued' })) });
  });
  return app;
}

export async function rawHttp(options: HttpOptions): Promise<Measurement[]> {
  const one = await hammer(rawApp(), '/v1/jobs', oneBody, 1, options);
  const bulk = await hammer(rawApp(), '/v1/jobs/bulk', bulkBody(options.bulkSize), options.bulkSize, options);
  return [
    { metric: 'POST /v1/jobs', unit: 'jobs/s', better: 'higher', value: one },
    { metric: `POST /v1/jobs/bulk (${options.bulkSize}/req)`, unit: 'jobs/s', better: 'higher', value: bulk },
  ];
}
