import { z } from 'zod';
import { jobEventJsonSchema } from '../core/job-event-json.js';
import { jobJsonSchema } from '../core/job-json.js';
import { bulkSpecSchema, jobSpecSchema } from '../core/job-spec.js';
import { listedJobJsonSchema } from '../core/listed-job-json.js';
import {
  bulkResultSchema,
  errorBodySchema,
  eventFeedPageSchema,
  healthSchema,
  jobEventListSchema,
  jobPageSchema,
  queueJsonSchema,
  queueListSchema,
  queueStateSchema,
  redriveRequestSchema,
  redriveResultSchema,
  statusCountsSchema,
  usageTotalsSchema,
} from './http-schemas.js';
import { API_DESCRIPTION, KEY_REQUIRED, LICENSE, SECURITY_SCHEMES, tagsOf } from './openapi-info.js';
import type { RouteDoc } from './route-doc.js';
import { errorResponsesOf } from './route-error-responses.js';

type JsonObject = Record<string, unknown>;

/** Schemas shown as named components (and referenced with $ref); others are inlined. */
const COMPONENTS: ReadonlyArray<[string, z.ZodType]> = [
  ['JobSpec', jobSpecSchema],
  ['BulkSpec', bulkSpecSchema],
  ['Job', jobJsonSchema],
  ['ListedJob', listedJobJsonSchema],
  ['JobPage', jobPageSchema],
  ['BulkResult', bulkResultSchema],
  ['StatusCounts', statusCountsSchema],
  ['Queue', queueJsonSchema],
  ['QueueList', queueListSchema],
  ['QueueState', queueStateSchema],
  ['RedriveRequest', redriveRequestSchema],
  ['RedriveResult', redriveResultSchema],
  ['UsageTotals', usageTotalsSchema],
  ['JobEvent', jobEventJsonSchema],
  ['JobEventList', jobEventListSchema],
  ['EventFeedPage', eventFeedPageSchema],
  ['Error', errorBodySchema],
  ['Health', healthSchema],
];

const REF_PREFIX = '#/components/schemas/';

/** Where the API is served: relative "/" (the origin the document was fetched from) unless configured. */
const RELATIVE_SERVER_URL = '/';

export interface OpenApiOptions {
  version: string;
  /** The API's public base URL (behind a proxy, say); default: relative to the document's own URL. */
  serverUrl?: string | undefined;
}

/**
 * Builds the OpenAPI 3.1 document from the routes as registered (so every route is listed) and the
 * same zod schemas that validate requests (via zod 4's `z.toJSONSchema`, JSON Schema 2020-12, which
 * OpenAPI 3.1 uses as is). The error answers and security of each operation follow from its route's
 * definition (route-error-responses.ts), so the document is the same whether or not keys are configured:
 * a client generated from it works against either.
 */
export function buildOpenApiDocument(routes: readonly RouteDoc[], options: OpenApiOptions): JsonObject {
  const registry = z.registry<{ id: string }>();
  const names = new Map<z.ZodType, string>();
  for (const [name, schema] of COMPONENTS) {
    registry.add(schema, { id: name });
    names.set(schema, name);
  }
  const generated = z.toJSONSchema(registry, { uri: (id) => `${REF_PREFIX}${id}`, io: 'input' }) as {
    schemas: Record<string, JsonObject>;
  };
  const schemas: Record<string, JsonObject> = {};
  for (const [name, schema] of Object.entries(generated.schemas)) schemas[name] = clean(schema);

  const schemaRef = (schema: z.ZodType): JsonObject => {
    const name = names.get(schema);
    return name === undefined ? clean(z.toJSONSchema(schema, { io: 'input' }) as JsonObject) : { $ref: `${REF_PREFIX}${name}` };
  };
  const errorResponse = (description: string): JsonObject => ({
    description,
    content: { 'application/json': { schema: schemaRef(errorBodySchema) } },
  });

  const paths: Record<string, Record<string, JsonObject>> = {};
  for (const route of routes) {
    const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    // Integer keys keep ascending order in a JS object: 2xx, then 4xx, then 5xx.
    const responses: Record<string, JsonObject> = {};
    for (const [status, response] of Object.entries(route.responses)) {
      const out: JsonObject = { description: response.description };
      const content: Record<string, JsonObject> = {};
      if (response.schema) content[response.contentType ?? 'application/json'] = { schema: schemaRef(response.schema) };
      else if (response.contentType) content[response.contentType] = { schema: { type: 'string' } };
      for (const [type, schema] of Object.entries(response.alternatives ?? {})) {
        content[type] = { schema: schema ? schemaRef(schema) : { type: 'string' } };
      }
      if (Object.keys(content).length > 0) out.content = content;
      if (response.headers) {
        out.headers = Object.fromEntries(
          Object.entries(response.headers).map(([h, d]) => [h, { description: d, schema: { type: 'string' } }]),
        );
      }
      responses[status] = out;
    }
    for (const [status, description] of Object.entries(errorResponsesOf(route))) responses[status] ??= errorResponse(description);

    const operation: JsonObject = {
      operationId: operationId(route),
      summary: route.summary,
      tags: route.tags,
      security: route.access === 'public' ? [] : KEY_REQUIRED,
      parameters: [
        ...parameters(route.params, 'path'),
        ...parameters(route.query, 'query'),
        ...Object.entries(route.headers ?? {}).map(([name, description]) => ({
          name,
          in: 'header',
          required: false,
          description,
          schema: { type: 'string' },
        })),
      ],
      responses,
    };
    if (route.body) {
      operation.requestBody = {
        required: route.body.required,
        content: { 'application/json': { schema: schemaRef(route.body.schema) } },
      };
    }
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = operation;
  }

  return {
    openapi: '3.1.0',
    info: { title: 'Sluice', version: options.version, description: API_DESCRIPTION, license: LICENSE },
    servers: [{ url: serverUrlOf(options.serverUrl), description: 'This Sluice server' }],
    tags: tagsOf(routes.flatMap((route) => route.tags)),
    paths,
    components: { schemas, securitySchemes: SECURITY_SCHEMES },
  };
}

/** The configured base URL without a trailing slash (clients append paths that start with one). */
function serverUrlOf(configured: string | undefined): string {
  const trimmed = configured?.replace(/\/+$/, '');
  return trimmed === undefined || trimmed === '' ? RELATIVE_SERVER_URL : trimmed;
}

/** One OpenAPI parameter per key of a strict zod object (path params, query string). */
function parameters(schema: z.ZodObject | undefined, where: 'path' | 'query'): JsonObject[] {
  if (!schema) return [];
  return Object.entries(schema.shape).map(([name, field]) => {
    const json = clean(z.toJSONSchema(field as z.ZodType, { io: 'input' }) as JsonObject);
    const { description, ...rest } = json;
    const param: JsonObject = {
      name,
      in: where,
      required: where === 'path' || !(field as z.ZodType).safeParse(undefined).success,
      schema: rest,
    };
    if (typeof description === 'string') param.description = description;
    return param;
  });
}

function operationId(route: RouteDoc): string {
  const words = route.url
    .split('/')
    .filter((p) => p !== '' && p !== 'v1')
    .map((p) => (p.startsWith(':') ? `by-${p.slice(1)}` : p));
  const camel = [route.method.toLowerCase(), ...words].join('-').replace(/[^A-Za-z0-9]+(.)/g, (_, c: string) => c.toUpperCase());
  return camel;
}

/** Drops the per-document keys z.toJSONSchema adds; the OpenAPI document is the document. */
function clean(schema: JsonObject): JsonObject {
  const { $schema: _schema, $id: _id, ...rest } = schema;
  return rest;
}
