import type { z } from 'zod';
import type { Access } from './auth.js';

/** A documented response of a route. */
export interface ResponseDoc {
  description: string;
  /** Body schema; omitted for bodies that are not JSON described by a schema. */
  schema?: z.ZodType;
  /** Content type when not application/json. */
  contentType?: string;
  headers?: Record<string, string>;
  /** The same answer in other content types (a stream of it, say): type → body schema (none: text). */
  alternatives?: Record<string, z.ZodType | undefined>;
}

/** What /openapi.json says about a route; recorded by defineRoute as the route is registered. */
export interface RouteDoc {
  method: 'GET' | 'POST' | 'DELETE';
  /** Fastify form (`/v1/jobs/:id`). */
  url: string;
  access: Access;
  summary: string;
  tags: string[];
  params?: z.ZodObject | undefined;
  query?: z.ZodObject | undefined;
  body?: { schema: z.ZodType; required: boolean } | undefined;
  /** Request headers worth documenting (name → description). */
  headers?: Record<string, string> | undefined;
  responses: Record<number, ResponseDoc>;
}
