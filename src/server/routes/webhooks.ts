import type { FastifyInstance } from 'fastify';
import { ErrorCodes, SluiceError } from '../../core/errors.js';
import { parseOrThrow } from '../../core/validate.js';
import { endpointSpecSchema } from '../../core/webhook-spec.js';
import type { Webhooks } from '../../webhooks/webhooks.js';
import { readScope } from '../auth.js';
import type { ServerContext } from '../context.js';
import { errorBodySchema, jobParamsSchema } from '../http-schemas.js';
import { defineRoute } from '../route.js';
import {
  createdEndpointSchema,
  deliveryJsonSchema,
  deliveryListSchema,
  deliveryParamsSchema,
  endpointListSchema,
  endpointParamsSchema,
  rotatedSecretSchema,
  rotateSecretBodySchema,
} from '../webhook-schemas.js';
import { requireObject } from './jobs.js';

const err = (description: string) => ({ description, schema: errorBodySchema });
const NOT_SUPPORTED = err(
  'This server takes no webhooks: disabled, or the backend keeps no event log or records (SLUICE_NOT_SUPPORTED)',
);

/** A tenant's webhook endpoints and signing secret; a job's deliveries and their redelivery. */
export async function webhookRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  const webhooks = (): Webhooks => {
    const found = ctx.sluice.webhooks;
    if (found === undefined) {
      throw new SluiceError(
        ErrorCodes.notSupported,
        `webhooks are off here (SLUICE_WEBHOOKS), or the ${ctx.sluice.backend.name} backend lacks capabilities.eventLog or capabilities.records`,
      );
    }
    return found;
  };

  defineRoute(app, ctx, {
    method: 'POST',
    url: '/v1/webhooks',
    access: 'tenant',
    summary: "Add an endpoint that gets the events of the caller's jobs (signed as Standard Webhooks say)",
    tags: ['webhooks'],
    body: { schema: endpointSpecSchema, required: true },
    responses: {
      201: { description: 'The endpoint, with the signing secret its receiver verifies by', schema: createdEndpointSchema },
      400: err('A malformed body, or a URL the SSRF guard refuses (field url)'),
      501: NOT_SUPPORTED,
    },
    handler: async ({ caller, request, reply }) => {
      const spec = parseOrThrow(endpointSpecSchema, requireObject(request.body));
      const { endpoint, secret } = await webhooks().createEndpoint(caller.tenant, spec);
      return reply.code(201).send(secret === undefined ? endpoint : { ...endpoint, secret });
    },
  });

  defineRoute(app, ctx, {
    method: 'GET',
    url: '/v1/webhooks',
    access: 'tenant',
    summary: "The caller's endpoints",
    tags: ['webhooks'],
    responses: { 200: { description: 'Every endpoint of the caller', schema: endpointListSchema }, 501: NOT_SUPPORTED },
    handler: async ({ caller }) => ({ webhooks: await webhooks().listEndpoints(caller.tenant) }),
  });

  defineRoute(app, ctx, {
    method: 'DELETE',
    url: '/v1/webhooks/:id',
    access: 'tenant',
    summary: 'Remove an endpoint: nothing more is delivered to it',
    tags: ['webhooks'],
    params: endpointParamsSchema,
    responses: { 204: { description: 'Removed' }, 404: err('The caller has no endpoint by that id'), 501: NOT_SUPPORTED },
    handler: async ({ caller, params, reply }) => {
      await webhooks().deleteEndpoint(caller.tenant, params.id);
      return reply.code(204).send();
    },
  });

  defineRoute(app, ctx, {
    method: 'POST',
    url: '/v1/webhooks/secret/rotate',
    access: 'tenant',
    summary: "A new signing secret for the caller's webhooks; the old one keeps signing for the overlap",
    tags: ['webhooks'],
    body: { schema: rotateSecretBodySchema, required: false },
    responses: {
      200: { description: 'The new secret', schema: rotatedSecretSchema },
      400: err('A malformed body'),
      409: err('The secret is the operator’s SLUICE_WEBHOOK_SECRET: rotate it there'),
      501: NOT_SUPPORTED,
    },
    handler: async ({ caller, request }) => {
      const body = parseOrThrow(rotateSecretBodySchema, request.body ?? {});
      return webhooks().keys.rotate(caller.tenant, body.overlapMs);
    },
  });

  defineRoute(app, ctx, {
    method: 'GET',
    url: '/v1/jobs/:id/deliveries',
    access: 'tenant',
    summary: "A job's webhook deliveries, each with its attempts (status code, latency, error)",
    tags: ['webhooks'],
    params: jobParamsSchema,
    responses: {
      200: { description: 'Oldest event first', schema: deliveryListSchema },
      404: err('No such job'),
      501: NOT_SUPPORTED,
    },
    handler: async ({ caller, params }) => ({ deliveries: await webhooks().deliveries(params.id, readScope(caller)) }),
  });

  defineRoute(app, ctx, {
    method: 'POST',
    url: '/v1/jobs/:id/deliveries/:deliveryId/retry',
    access: 'tenant',
    summary: 'Deliver again (same webhook-id and body), e.g. after fixing a receiver',
    tags: ['webhooks'],
    params: deliveryParamsSchema,
    responses: {
      202: { description: 'The delivery, pending again', schema: deliveryJsonSchema },
      404: err('No such job or delivery'),
      409: err('The delivery is still being attempted'),
      501: NOT_SUPPORTED,
    },
    handler: async ({ caller, params, reply }) => {
      const delivery = await webhooks().redeliver(params.id, params.deliveryId, readScope(caller));
      return reply.code(202).send(delivery);
    },
  });
}
