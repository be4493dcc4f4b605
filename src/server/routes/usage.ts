import type { FastifyInstance } from 'fastify';
import { withCapability } from '../../core/backend.js';
import { ErrorCodes, SluiceError, ValidationError } from '../../core/errors.js';
import { readScope } from '../auth.js';
import type { ServerContext } from '../context.js';
import { errorBodySchema, usageQuerySchema, usageTotalsSchema } from '../http-schemas.js';
import { defineRoute } from '../route.js';

/** Token and cost accounting: totals of provider calls per queue, tenant, provider and model. */
export async function usageRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  defineRoute(app, ctx, {
    method: 'GET',
    url: '/v1/usage',
    access: 'tenant',
    summary: 'Token and cost totals of provider calls (chat, embed), with breakdowns; a tenant key sees its own usage',
    tags: ['usage'],
    query: usageQuerySchema,
    responses: {
      200: { description: 'Totals and breakdowns by queue, tenant, provider and model', schema: usageTotalsSchema },
      400: { description: 'Invalid query parameter (the field is named)', schema: errorBodySchema },
      403: { description: 'A tenant key asked for another tenant', schema: errorBodySchema },
      501: { description: 'The backend keeps no usage (SLUICE_NOT_SUPPORTED)', schema: errorBodySchema },
    },
    handler: async ({ query, caller }) => {
      const scope = readScope(caller);
      if (scope !== undefined && query.tenant !== undefined && query.tenant !== scope) {
        throw new SluiceError(ErrorCodes.forbidden, 'a tenant API key may only read its own usage', { field: 'tenant' });
      }
      if (query.since !== undefined && query.until !== undefined && query.until < query.since) {
        throw new ValidationError('until: must not be before since', 'until');
      }
      const backend = ctx.sluice.backend;
      const ledger = withCapability(backend, 'usage');
      if (!ledger) {
        throw new SluiceError(
          ErrorCodes.notSupported,
          `the ${backend.name} backend does not keep token usage: use sqlite or postgres for GET /v1/usage`,
        );
      }
      const totals = await ledger.usage({
        queue: query.queue,
        tenant: scope ?? query.tenant,
        since: query.since,
        until: query.until,
      });
      const { byQueue, byTenant, byProvider, byModel, ...sums } = totals;
      return {
        ...sums,
        ...(query.since === undefined ? {} : { since: new Date(query.since).toISOString() }),
        ...(query.until === undefined ? {} : { until: new Date(query.until).toISOString() }),
        byQueue,
        ...(byTenant === undefined ? {} : { byTenant }),
        byProvider,
        byModel,
      };
    },
  });
}
