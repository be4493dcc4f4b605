import type { FastifyInstance } from 'fastify';
import type { EnqueueResult } from '../../core/backend.js';
import { ErrorCodes, SluiceError, ValidationError } from '../../core/errors.js';
import { isTerminal } from '../../core/job.js';
import { jobJsonSchema, toJobJson } from '../../core/job-json.js';
import { bulkSpecSchema, jobSpecSchema } from '../../core/job-spec.js';
import { parseOrThrow } from '../../core/validate.js';
import { inputProblem } from '../../handlers/input-schemas.js';
import { readScope } from '../auth.js';
import type { ServerContext } from '../context.js';
import {
  anyJsonSchema,
  bulkResultSchema,
  errorBodySchema,
  getJobQuerySchema,
  idempotencyHeaderSchema,
  jobPageSchema,
  jobParamsSchema,
  listJobsQuerySchema,
} from '../http-schemas.js';
import { toJobPage } from '../job-page.js';
import { defineRoute } from '../route.js';

const err = (description: string) => ({ description, schema: errorBodySchema });

/** Jobs: submit (one or many), read (with long-poll), output, cancel, list. */
export async function jobRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  defineRoute(app, ctx, {
    method: 'POST',
    url: '/v1/jobs',
    access: 'tenant',
    summary: 'Submit a job; answers once it is stored durably',
    tags: ['jobs'],
    body: { schema: jobSpecSchema, required: true },
    headers: { 'Idempotency-Key': 'Same as the idempotencyKey field (the body wins when both are given)' },
    responses: {
      202: { description: 'Stored', schema: jobJsonSchema, headers: { Location: 'URL of the job' } },
      200: {
        description: 'The idempotency key matched: the first job',
        schema: jobJsonSchema,
        headers: { Location: 'URL of the job' },
      },
      400: err('Invalid request (the field is named)'),
      409: err('The idempotency key belongs to another tenant'),
      422: err('The idempotency key was used before for a different request (SLUICE_IDEMPOTENCY_MISMATCH)'),
    },
    handler: async ({ request, reply, caller }) => {
      const spec = parseOrThrow(jobSpecSchema, requireObject(request.body));
      checkType(ctx, spec.type, 'type');
      checkInput(ctx, spec.type, spec.input, '');
      const idempotencyKey = idempotencyHeader(request.headers['idempotency-key']);
      const [result] = await ctx.sluice.submit([spec], { tenant: caller.tenant, idempotencyKey });
      const { job, created } = ownResult(result!, readScope(caller));
      return reply
        .code(created ? 202 : 200)
        .header('location', `/v1/jobs/${job.id}`)
        .send(toJobJson(job));
    },
  });

  defineRoute(app, ctx, {
    method: 'POST',
    url: '/v1/jobs/bulk',
    access: 'tenant',
    summary: 'Submit many jobs in one transaction (all or none)',
    tags: ['jobs'],
    body: { schema: bulkSpecSchema, required: true },
    headers: {
      'Idempotency-Key': 'Keys the jobs without a key of their own as KEY:INDEX, so a retried bulk makes no duplicates',
    },
    responses: {
      202: { description: 'Stored, in request order', schema: bulkResultSchema },
      200: { description: 'Every idempotency key matched: the first jobs', schema: bulkResultSchema },
      400: err('Invalid request (the field is named, e.g. jobs.3.type; two different jobs with one key)'),
      409: err('An idempotency key belongs to another tenant'),
      422: err('An idempotency key was used before for a different request (SLUICE_IDEMPOTENCY_MISMATCH)'),
    },
    handler: async ({ request, reply, caller }) => {
      const { jobs } = parseOrThrow(bulkSpecSchema, requireObject(request.body));
      for (const [i, spec] of jobs.entries()) {
        checkType(ctx, spec.type, `jobs.${i}.type`);
        checkInput(ctx, spec.type, spec.input, `jobs.${i}.`);
      }
      const idempotencyKey = idempotencyHeader(request.headers['idempotency-key']);
      const results = (await ctx.sluice.submit(jobs, { tenant: caller.tenant, idempotencyKey })).map((r) =>
        ownResult(r, readScope(caller)),
      );
      return reply.code(results.some((r) => r.created) ? 202 : 200).send({ jobs: results.map((r) => toJobJson(r.job)) });
    },
  });

  defineRoute(app, ctx, {
    method: 'GET',
    url: '/v1/jobs',
    access: 'tenant',
    summary: 'List jobs, newest first',
    tags: ['jobs'],
    query: listJobsQuerySchema,
    responses: { 200: { description: 'A page of jobs', schema: jobPageSchema }, 400: err('Invalid query parameter') },
    handler: async ({ query, caller }) => {
      const page = await ctx.sluice.list({ ...query, tenant: readScope(caller) });
      return toJobPage(page);
    },
  });

  defineRoute(app, ctx, {
    method: 'GET',
    url: '/v1/jobs/:id',
    access: 'tenant',
    summary: 'Get a job; with ?wait=SECONDS, long-poll until it ends',
    tags: ['jobs'],
    params: jobParamsSchema,
    query: getJobQuerySchema(ctx.maxWaitSeconds),
    responses: {
      200: { description: 'The job (its current state when the wait ran out)', schema: jobJsonSchema },
      400: err('Malformed id or wait'),
      404: err('No such job'),
    },
    handler: async ({ params, query, caller, reply }) => {
      const tenant = readScope(caller);
      const job =
        query.wait === undefined || query.wait === 0
          ? await ctx.sluice.getOrThrow(params.id, { tenant })
          : await ctx.longPolls.wait(params.id, query.wait, tenant, reply);
      return toJobJson(job);
    },
  });

  defineRoute(app, ctx, {
    method: 'GET',
    url: '/v1/jobs/:id/output',
    access: 'tenant',
    summary: "The job's output (its JSON value as the body) once it succeeded",
    tags: ['jobs'],
    params: jobParamsSchema,
    responses: {
      200: { description: 'The output', schema: anyJsonSchema },
      400: err('Malformed id'),
      404: err('No such job'),
      409: err('The job has not succeeded (SLUICE_NOT_READY; the message names the status)'),
    },
    handler: async ({ params, caller, reply }) => {
      // The stored JSON text, sent as it is: a large output (a factorial's digits) is neither parsed
      // into objects nor serialised into a second giant string on the event loop. Sent with an
      // explicit type: Fastify would send a string body as text/plain.
      const { status, json } = await ctx.sluice.outputText(params.id, { tenant: readScope(caller) });
      if (status !== 'succeeded') {
        const hint = isTerminal(status) ? 'it will not produce one' : 'try again later';
        throw new SluiceError(ErrorCodes.notReady, `job ${params.id} is ${status}: no output (${hint})`, { field: 'status' });
      }
      return reply.type('application/json; charset=utf-8').send(json);
    },
  });

  defineRoute(app, ctx, {
    method: 'POST',
    url: '/v1/jobs/:id/cancel',
    access: 'tenant',
    summary: 'Cancel a job (a running job is aborted)',
    tags: ['jobs'],
    params: jobParamsSchema,
    responses: {
      200: { description: 'The cancelled job', schema: jobJsonSchema },
      400: err('Malformed id'),
      404: err('No such job'),
      409: err('The job already ended'),
    },
    handler: async ({ params, caller }) => toJobJson(await ctx.sluice.cancel(params.id, { tenant: readScope(caller) })),
  });
}

/** With allowedTypes configured, a type no handler serves is refused before anything is stored. */
function checkType(ctx: ServerContext, type: string, field: string): void {
  if (ctx.allowedTypes && !ctx.allowedTypes.has(type)) {
    throw new SluiceError(ErrorCodes.unknownType, `unknown job type "${type}"`, { field });
  }
}

/** An input its handler could not run is refused at submit, by the schema the handler parses it with. */
function checkInput(ctx: ServerContext, type: string, input: unknown, prefix: string): void {
  const schema = ctx.inputSchemas.get(type);
  const problem = schema === undefined ? undefined : inputProblem(schema, input);
  if (problem) throw new ValidationError(`${prefix}${problem.field}: ${problem.message}`, `${prefix}${problem.field}`);
}

/**
 * An idempotency key is unique per queue, not per tenant: if it matched another tenant's job, that
 * job must not be shown. The caller gets a conflict instead (and nothing was created).
 */
function ownResult(result: EnqueueResult, scope: string | undefined): EnqueueResult {
  if (!result.created && scope !== undefined && result.job.tenant !== scope) {
    throw new SluiceError(ErrorCodes.conflict, 'this idempotency key is already in use', { field: 'idempotencyKey' });
  }
  return result;
}

function idempotencyHeader(header: string | string[] | undefined): string | undefined {
  return header === undefined ? undefined : parseOrThrow(idempotencyHeaderSchema, header, 'Idempotency-Key');
}

/** A body that is not a JSON object has no field to name: say what is expected instead. */
export function requireObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ValidationError('request body must be a JSON object');
  }
  return body as Record<string, unknown>;
}
